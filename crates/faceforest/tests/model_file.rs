//! The model file: round trip, and a clear refusal of anything else.

use faceforest::forest::ForestParams;
use faceforest::pipeline::{train_model, TrainOptions};
use faceforest::synthetic::face;
use faceforest::{Error, FeatureConfig, Model, Segmenter};

fn small_model() -> Model {
    let photos: Vec<_> = (0..6).map(|s| face(48, 64, s)).collect();
    let opts = TrainOptions {
        size: 48,
        features: FeatureConfig::default(),
        forest: ForestParams {
            n_trees: 4,
            max_leaves: Some(200),
            ..Default::default()
        },
        ..Default::default()
    };
    train_model(&photos, &opts, &|| {}).unwrap().0
}

#[test]
fn round_trip_is_exact_and_predicts_the_same() {
    let m = small_model();
    let bytes = m.to_bytes();
    let back = Model::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    let photo = face(60, 80, 99);
    let a = Segmenter::new(m)
        .unwrap()
        .segment(&photo.photo, false)
        .unwrap();
    let b = Segmenter::from_bytes(&bytes)
        .unwrap()
        .segment(&photo.photo, false)
        .unwrap();
    assert_eq!(a.labels, b.labels);
}

#[test]
fn segments_synthetic_faces_well() {
    let photos: Vec<_> = (0..10).map(|s| face(72, 96, s)).collect();
    let opts = TrainOptions {
        size: 64,
        forest: ForestParams {
            n_trees: 10,
            ..Default::default()
        },
        ..Default::default()
    };
    let (model, _) = train_model(&photos, &opts, &|| {}).unwrap();
    let seg = Segmenter::new(model).unwrap();
    let test: Vec<_> = (100..104).map(|s| face(72, 96, s)).collect();
    let e = faceforest::pipeline::evaluate(&seg, &test, &|| {});
    // Skin, the largest class, is about 45% of pixels.
    assert!(
        e.honest.accuracy > 0.9,
        "honest accuracy {}",
        e.honest.accuracy
    );
    assert!(
        e.honest.f1_of("left_eye").unwrap() > 0.5 && e.honest.f1_of("right_eye").unwrap() > 0.5
    );
}

#[test]
fn truncated_files_are_refused_with_a_message() {
    let bytes = small_model().to_bytes();
    let mut cuts: Vec<usize> = vec![
        0,
        1,
        5,
        9,
        10,
        11,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 1,
    ];
    cuts.extend((1..20).map(|i| i * bytes.len() / 20));
    for cut in cuts {
        match Model::from_bytes(&bytes[..cut]) {
            Err(Error::CorruptModel(msg)) => assert!(!msg.is_empty()),
            other => panic!(
                "cut at {cut}: expected a corrupt-model error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
}

#[test]
fn foreign_and_newer_files_are_refused() {
    assert!(matches!(
        Model::from_bytes(b"\x89PNG\r\n\x1a\n....not a model"),
        Err(Error::NotAModel)
    ));
    let mut bytes = small_model().to_bytes();
    bytes[8..10].copy_from_slice(&(faceforest::model::FORMAT_VERSION + 1).to_le_bytes());
    let err = Model::from_bytes(&bytes).unwrap_err();
    assert!(matches!(err, Error::NewerModel { .. }));
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn version_3_files_still_load_without_part_scale() {
    // Version 4 appended the face-part factor (an f32) to `post`.
    let mut m = small_model();
    m.post.largest_parts = true;
    m.post.smooth = 2;
    let mut bytes = m.to_bytes();
    assert_eq!(bytes.split_off(bytes.len() - 4), 1f32.to_le_bytes());
    bytes[8..10].copy_from_slice(&3u16.to_le_bytes());
    assert_eq!(Model::from_bytes(&bytes).unwrap(), m);
    // The same bytes labelled version 4 are cut short.
    bytes[8..10].copy_from_slice(&4u16.to_le_bytes());
    let err = Model::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("ends before"), "{err}");
    // A factor that would zero or flip the parts is refused.
    m.post.part_scale = 0.0;
    let err = Model::from_bytes(&m.to_bytes()).unwrap_err();
    assert!(err.to_string().contains("face-part factor"), "{err}");
}

#[test]
fn version_2_files_still_load_without_clean_up() {
    // Version 3 appended `post` (a bool and a byte, then version 4 an f32): a
    // version-2 file is the same bytes without them.
    let m = small_model();
    assert_eq!(m.post, Default::default());
    let mut bytes = m.to_bytes();
    assert_eq!(bytes.split_off(bytes.len() - 6), [0, 0, 0, 0, 0x80, 0x3f]);
    bytes[8..10].copy_from_slice(&2u16.to_le_bytes());
    assert_eq!(Model::from_bytes(&bytes).unwrap(), m);
    // The same bytes labelled version 3 are cut short.
    bytes[8..10].copy_from_slice(&3u16.to_le_bytes());
    let err = Model::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("ends before"), "{err}");
}

#[test]
fn largest_parts_clean_up_travels_with_the_model() {
    let mut m = small_model();
    m.post.largest_parts = true;
    let back = Model::from_bytes(&m.to_bytes()).unwrap();
    assert!(back.post.largest_parts);
}

#[test]
fn a_model_with_another_feature_configuration_is_refused() {
    let mut m = small_model();
    m.features.hog[0].orientations = 6; // the forest was trained on 9 HOG bins
    let err = Model::from_bytes(&m.to_bytes()).unwrap_err();
    assert!(err.to_string().contains("feature configuration"), "{err}");
}

#[test]
fn damaged_bytes_never_panic() {
    let bytes = small_model().to_bytes();
    let mut state = 12345u64;
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = 10 + (state >> 33) as usize % (b.len() - 10);
            b[i] ^= (state >> 20) as u8 | 1;
        }
        if let Ok(m) = Model::from_bytes(&b) {
            // Whatever decodes must also predict without panicking.
            let seg = Segmenter::new(m).unwrap();
            let _ = seg.segment(&face(20, 20, 1).photo, false).unwrap();
        }
    }
}

#[test]
fn a_model_over_the_size_budget_is_refused_at_training() {
    let photos: Vec<_> = (0..4).map(|s| face(48, 64, s)).collect();
    let opts = TrainOptions {
        size: 48,
        forest: ForestParams {
            n_trees: 3,
            ..Default::default()
        },
        size_budget: Some(2_000),
        ..Default::default()
    };
    let err = train_model(&photos, &opts, &|| {}).unwrap_err();
    assert!(
        matches!(err, Error::OverBudget { budget: 2000, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("size budget"));
}

#[test]
fn wrong_buffers_are_refused() {
    let seg = Segmenter::new(small_model()).unwrap();
    assert!(seg
        .segment_rgba(&[0; 15], 2, 2, false)
        .unwrap_err()
        .to_string()
        .contains("needs 16"));
    assert!(seg
        .segment_rgba(&[], 0, 0, false)
        .unwrap_err()
        .to_string()
        .contains("at least 16×16"));
    assert!(seg
        .segment_rgba(&[10, 20, 30, 255], 1, 1, true)
        .unwrap_err()
        .to_string()
        .contains("the image is 1×1"));
    let least = seg.segment_rgba(&[10; 4 * 16 * 16], 16, 16, true).unwrap();
    assert_eq!(least.labels.len(), 256);
    assert_eq!(least.probabilities.unwrap().len(), 256 * 7);
}

#[test]
fn a_multi_stage_model_round_trips_and_uses_every_stage() {
    let photos: Vec<_> = (0..6).map(|s| face(48, 64, s)).collect();
    let opts = TrainOptions {
        size: 48,
        features: FeatureConfig {
            context: vec![5],
            ..FeatureConfig::default()
        },
        forest: ForestParams {
            n_trees: 3,
            max_leaves: Some(150),
            ..Default::default()
        },
        context_stages: 1,
        context_folds: 3,
        ..Default::default()
    };
    let (m, _) = train_model(&photos, &opts, &|| {}).unwrap();
    assert_eq!(m.context_stages.len(), 1);
    let bytes = m.to_bytes();
    let back = Model::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    let photo = face(50, 70, 77);
    let a = Segmenter::new(m.clone())
        .unwrap()
        .segment(&photo.photo, true)
        .unwrap();
    let b = Segmenter::from_bytes(&bytes)
        .unwrap()
        .segment(&photo.photo, true)
        .unwrap();
    assert_eq!(a.labels, b.labels);
    // A stage reaching across a 1024-px square through many windows would need
    // gigabytes of feature planes (and offsets the walk cannot hold): refused.
    let mut huge = m.clone();
    huge.size = 1024;
    huge.context_stages[0]
        .layout
        .samples
        .extend((1..=16).map(|w| (1024, 0, w)));
    match huge.validate() {
        Err(Error::CorruptModel(msg)) => assert!(msg.contains("feature planes would take")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The last stage decides: dropping it changes the probabilities.
    let mut first_only = m;
    first_only.context_stages.clear();
    let c = Segmenter::new(first_only)
        .unwrap()
        .segment(&photo.photo, true)
        .unwrap();
    assert_ne!(a.probabilities, c.probabilities);
}

#[test]
fn the_plane_walk_and_the_cascade_match_the_row_walk() {
    let photos: Vec<_> = (0..6).map(|s| face(40, 56, s)).collect();
    let opts = TrainOptions {
        size: 40,
        features: FeatureConfig {
            context: vec![5],
            ..FeatureConfig::default()
        },
        forest: ForestParams {
            n_trees: 3,
            max_leaves: Some(120),
            ..Default::default()
        },
        context_stages: 1,
        context_folds: 3,
        ..Default::default()
    };
    let (mut m, _) = train_model(&photos, &opts, &|| {}).unwrap();
    let (square, _) = faceforest::prep::square::square_photo(&face(60, 45, 9).photo, m.size);
    // Reference: every feature of every pixel as a row of bytes, context samples
    // taken one by one from float planes.
    let base = m.features.compute(&square);
    let p1 = m.forest.predict_planes(base.view());
    let st = &m.context_stages[0];
    let ctx = st.layout.planes(&p1, m.size);
    let both = ndarray::concatenate(ndarray::Axis(0), &[base.view(), ctx.view()]).unwrap();
    let p2 = st.forest.predict_planes(both.view());
    m.context_stages[0].skip_confident = 2.0;
    assert_eq!(
        m.predict_square(&square),
        p2,
        "no pixel skips: stage 2 everywhere"
    );
    m.context_stages[0].skip_confident = 0.0;
    assert_eq!(
        m.predict_square(&square),
        p1,
        "every pixel skips: stage 1 everywhere"
    );
    m.context_stages[0].skip_confident = 0.9;
    let mixed = m.predict_square(&square);
    let k = m.forest.n_classes as usize;
    let mut skipped = 0;
    for i in 0..mixed.len() / k {
        let r = i * k..(i + 1) * k;
        let sure = p1[r.clone()].iter().fold(0f32, |a, &b| a.max(b)) >= 0.9;
        skipped += sure as usize;
        assert_eq!(
            &mixed[r.clone()],
            if sure { &p1[r] } else { &p2[r] },
            "pixel {i}"
        );
    }
    assert!(
        skipped > 0 && skipped < mixed.len() / k,
        "{skipped} of {} skipped",
        mixed.len() / k
    );
}

/// 8-connected blobs of `class` in an `s×s` label square.
fn blobs(labels: &[u8], s: usize, class: u8) -> usize {
    faceforest::prep::labels::components(s as u32, s as u32, |i| labels[i] == class)
        .1
        .len()
}

#[test]
fn with_the_clean_up_each_face_part_is_one_blob() {
    let mut m = small_model();
    let s = m.size as usize;
    let k = m.forest.n_classes as usize;
    let labels = |m: &Model, seed: u64| -> Vec<u8> {
        let photo = face(60, 80, seed);
        let (sq, _) = faceforest::prep::square::square_photo(&photo.photo, m.size);
        m.predict_square(&sq)
            .chunks_exact(k)
            .map(|p| faceforest::forest::train::argmax(p) as u8)
            .collect()
    };
    let parts = faceforest::post::parts::FACE_PARTS;
    // Find photos where the raw forest leaves stray blobs, so the test means something.
    let seeds: Vec<u64> = (100..140)
        .filter(|&seed| {
            let l = labels(&m, seed);
            parts.iter().any(|&p| blobs(&l, s, p) > 1)
        })
        .collect();
    assert!(
        !seeds.is_empty(),
        "the small model never leaves a stray blob"
    );
    m.post.largest_parts = true;
    for seed in seeds {
        let l = labels(&m, seed);
        for &p in &parts {
            assert!(
                blobs(&l, s, p) <= 1,
                "photo {seed}: class {p} in several blobs"
            );
        }
    }
}

#[test]
fn rgba_input_gives_the_labels_of_the_rgb_photo() {
    // 131 rows: two full 64-row bands of the RGBA copy and a short one.
    let photo = face(150, 131, 3).photo;
    let rgba: Vec<u8> = photo
        .pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2], 255])
        .collect();
    let seg = Segmenter::new(small_model()).unwrap();
    let a = seg.segment(&photo, false).unwrap();
    let b = seg.segment_rgba(&rgba, 150, 131, false).unwrap();
    assert_eq!(a.labels, b.labels);
}
