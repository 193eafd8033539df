//! Criterion benches: training and prediction speed. Prediction uses the shipped
//! model (`web/models/faceforest.model`) when present, so the figure is the one the
//! browser build competes on; otherwise a model trained here on synthetic faces.

use criterion::{criterion_group, criterion_main, Criterion};
use faceforest::forest::train::{train, TrainSet};
use faceforest::forest::{Bins, ForestParams};
use faceforest::pipeline::{train_model, training_data, TrainOptions};
use faceforest::synthetic::face;
use faceforest::{FeatureConfig, Segmenter};
use std::hint::black_box;
use std::path::Path;

fn shipped_or_synthetic() -> (Segmenter, &'static str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/models/faceforest.model");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(s) = Segmenter::from_bytes(&bytes) {
            return (s, "shipped");
        }
    }
    let photos: Vec<_> = (0..12).map(|s| face(96, 128, s)).collect();
    let opts = TrainOptions {
        size: 128,
        forest: ForestParams {
            n_trees: 16,
            max_leaves: Some(4000),
            ..Default::default()
        },
        ..Default::default()
    };
    (
        Segmenter::new(train_model(&photos, &opts, &|| {}).unwrap().0).unwrap(),
        "synthetic",
    )
}

fn predict(c: &mut Criterion) {
    let (seg, which) = shipped_or_synthetic();
    // A real face when the data is there (a cartoon face leaves the model unsure
    // everywhere, so no pixel would skip the context stage).
    let fasseg = std::env::var_os("FASSEG_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fasseg"));
    let frame = faceforest::dataset::fasseg::read_rgb(&fasseg.join("frontal02/test/rgb/1.png"))
        .map(|p| image::imageops::resize(&p, 256, 256, image::imageops::FilterType::Triangle))
        .unwrap_or_else(|_| face(256, 256, 7).photo);
    let mut g = c.benchmark_group(format!(
        "predict ({which} model, {} threads)",
        faceforest::par::threads()
    ));
    g.bench_function("segment 256x256 frame (features included)", |b| {
        b.iter(|| black_box(seg.segment(black_box(&frame), false).unwrap()))
    });
    if faceforest::forest::walk::simd_active() {
        // The same frame with the portable walk (what wasm and CPUs without
        // AVX-512 run), for the ratio.
        g.bench_function("segment 256x256 frame, portable walk", |b| {
            faceforest::forest::walk::allow_simd(false);
            b.iter(|| black_box(seg.segment(black_box(&frame), false).unwrap()));
            faceforest::forest::walk::allow_simd(true);
        });
    }
    let photo = face(363, 512, 8).photo;
    g.bench_function("segment 363x512 photo", |b| {
        b.iter(|| black_box(seg.segment(&photo, false).unwrap()))
    });
    let (sq, _) = faceforest::prep::square::square_photo(&frame, seg.model().size);
    g.bench_function("features only", |b| {
        b.iter(|| black_box(seg.model().features.compute(&sq)))
    });
    let planes = seg.model().features.compute(&sq);
    let rows = seg.model().forest.quantise_planes(planes.view());
    g.bench_function("forest walk only", |b| {
        b.iter(|| black_box(seg.model().forest.predict_binned(&rows)))
    });
    g.finish();
}

fn training(c: &mut Criterion) {
    let photos: Vec<_> = (0..16).map(|s| face(150, 200, s)).collect();
    let data = training_data(&photos, 200, &FeatureConfig::default()).unwrap();
    let set = TrainSet {
        rows: &data.rows,
        labels: &data.labels,
        n_features: data.n_features,
        n_classes: 8,
        weights: None,
    };
    let mut g = c.benchmark_group("train (16 synthetic photos at S=200, 640k pixels)");
    g.sample_size(10);
    g.bench_function("4 full-depth trees", |b| {
        b.iter(|| {
            black_box(
                train(
                    &set,
                    &ForestParams {
                        n_trees: 4,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        })
    });
    g.bench_function("bin fitting", |b| {
        let planes =
            faceforest::pipeline::prepare(&photos[0], 200, &FeatureConfig::default()).planes;
        b.iter(|| black_box(Bins::fit(planes.view(), 500_000)))
    });
    g.finish();
}

criterion_group!(benches, predict, training);
criterion_main!(benches);
