//! Small end-to-end training on real FASSEG photos at a small S. Reads the data in
//! place (FASSEG_DIR, default ../shared/fasseg); where the folder is absent the test
//! says so loudly and returns (CI has the data).

#[path = "support/mod.rs"]
mod support;

use faceforest::dataset::fasseg;
use faceforest::forest::ForestParams;
use faceforest::pipeline::{evaluate, train_model, TrainOptions};
use faceforest::prep::LabelCleaning;
use faceforest::Segmenter;
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    support::fasseg_dir()
}

#[test]
fn small_training_beats_the_majority_class_by_far() {
    let Some(dir) = data_dir() else { return };
    let train = fasseg::load(&dir, "frontal02", "train", &[], LabelCleaning::Nearest).unwrap();
    let test: Vec<_> = fasseg::load(&dir, "frontal02", "test", &[], LabelCleaning::Nearest)
        .unwrap()
        .into_iter()
        .take(10)
        .collect();
    assert_eq!(train.len(), 20);
    let opts = TrainOptions {
        size: 64,
        forest: ForestParams {
            n_trees: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let (model, _) = train_model(&train, &opts, &|| {}).unwrap();
    let seg = Segmenter::new(model).unwrap();
    let e = evaluate(&seg, &test, &|| {});
    let majority =
        e.honest.classes.iter().map(|c| c.support).max().unwrap() as f64 / e.honest.support as f64;
    eprintln!(
        "honest accuracy {:.4}, majority-class rate {majority:.4}",
        e.honest.accuracy
    );
    assert!(
        e.honest.accuracy > 0.85 && e.honest.accuracy > majority + 0.3,
        "honest accuracy {}",
        e.honest.accuracy
    );
    // Every photo pixel is scored, at the photo's own resolution.
    let pixels: u64 = test
        .iter()
        .map(|p| p.photo.width() as u64 * p.photo.height() as u64)
        .sum();
    assert_eq!(e.honest.support, pixels);
    assert!(e.honest.f1_of("hair").unwrap() > 0.8 && e.honest.f1_of("skin").unwrap() > 0.8);
}

#[test]
fn dataset_layout_and_eye_split() {
    let Some(dir) = data_dir() else { return };
    let photos = fasseg::standard_train(&dir, LabelCleaning::Nearest).unwrap();
    assert_eq!(photos.len(), 62);
    for p in photos.iter().take(20) {
        // 512 px tall; widths vary (294–454 px in frontal02).
        assert_eq!(p.photo.height(), 512);
        assert!(
            (280..=460).contains(&p.photo.width()),
            "{}: {:?}",
            p.name,
            p.photo.dimensions()
        );
        // Both eyes present, the person's left eye on the image's right.
        let w = p.labels.width as usize;
        let mean_x = |c: u8| {
            let xs: Vec<usize> = p
                .labels
                .data
                .iter()
                .enumerate()
                .filter(|(_, &l)| l == c)
                .map(|(i, _)| i % w)
                .collect();
            assert!(!xs.is_empty(), "{}: no pixels of class {c}", p.name);
            xs.iter().sum::<usize>() as f64 / xs.len() as f64
        };
        assert!(mean_x(3) > mean_x(4), "{}", p.name);
    }
    let err = fasseg::load(&dir, "frontal03", "train", &[], LabelCleaning::Nearest).unwrap_err();
    assert!(err.to_string().contains("not found"));
}
