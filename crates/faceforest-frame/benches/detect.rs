//! Criterion benches of face detection on a 640×480 frame (the sample portrait in
//! the middle of a webcam-sized canvas): the whole `detect`, its `fast` setting for
//! live video, and loading the model.
//!
//!   cargo bench -p faceforest-frame --bench detect

use criterion::{criterion_group, criterion_main, Criterion};
use faceforest_frame::{DetectOptions, FaceDetector};
use std::hint::black_box;
use std::path::Path;

fn detect(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = std::fs::read(root.join("web/models/face_detection_short_range.tflite")).unwrap();
    let det = FaceDetector::from_model_bytes(&model).unwrap();
    let face = image::open(root.join("web/demo/assets/astronaut.png"))
        .unwrap()
        .to_rgb8();
    let face = image::imageops::resize(&face, 360, 360, image::imageops::FilterType::Triangle);
    let mut frame = image::RgbImage::from_pixel(640, 480, image::Rgb([70, 80, 90]));
    image::imageops::replace(&mut frame, &face, 140, 60);
    assert_eq!(
        det.detect(&frame, &DetectOptions::default()).unwrap().len(),
        1
    );
    c.bench_function("detect 640x480", |b| {
        b.iter(|| {
            black_box(
                det.detect(black_box(&frame), &DetectOptions::default())
                    .unwrap(),
            )
        })
    });
    c.bench_function("detect 640x480 fast", |b| {
        b.iter(|| {
            black_box(
                det.detect(black_box(&frame), &DetectOptions::fast())
                    .unwrap(),
            )
        })
    });
    c.bench_function("load the detector model", |b| {
        b.iter(|| black_box(FaceDetector::from_model_bytes(black_box(&model)).unwrap()))
    });
}

criterion_group!(benches, detect);
criterion_main!(benches);
