//! The BlazeFace detector against Google's own TensorFlow Lite runtime, and on the
//! demo's sample portrait; hostile model files.

use faceforest_frame::{DetectOptions, FaceDetector};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model() -> Vec<u8> {
    std::fs::read(root().join("web/models/face_detection_short_range.tflite"))
        .expect("the committed detector model")
}

fn astronaut() -> image::RgbImage {
    image::open(root().join("web/demo/assets/astronaut.png"))
        .expect("sample portrait")
        .to_rgb8()
}

/// Every output value of our interpreter agrees with the reference runtime's
/// (scripts/blazeface-oracle.py) on the same input.
#[test]
fn network_matches_the_reference_runtime() {
    let bytes =
        std::fs::read(root().join("crates/faceforest-frame/tests/data/blazeface-astronaut.f32"))
            .expect("reference outputs");
    let want: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(want.len(), 896 * 17);
    let img = astronaut();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut input = Vec::with_capacity(128 * 128 * 3);
    for i in 0..128 {
        let y = ((i as f64 + 0.5) * h as f64 / 128.0) as u32;
        for j in 0..128 {
            let x = ((j as f64 + 0.5) * w as f64 / 128.0) as u32;
            let p = img.get_pixel(x, y);
            input.extend(p.0.iter().map(|&v| v as f32 / 127.5 - 1.0));
        }
    }
    let out = faceforest_frame::run_detector_network(&model(), &input).expect("runs");
    let got: Vec<f32> = out[0].iter().chain(&out[1]).copied().collect();
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
        .fold(0f32, f32::max);
    assert!(worst < 1e-4, "largest relative difference {worst}");
    // The face is found by both: the best logit is well above the 0.5 threshold's 0.
    let best = want[896 * 16..].iter().copied().fold(f32::MIN, f32::max);
    assert!(best > 1.0, "{best}");
}

#[test]
fn finds_the_sample_portraits_face_and_landmarks() {
    let det = FaceDetector::from_model_bytes(&model()).unwrap();
    let faces = det.detect(&astronaut(), &DetectOptions::default()).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = faces[0];
    let k = f.keypoints.unwrap();
    let [re, le, nose, mouth, rear, lear] = k;
    eprintln!("{f:?}");
    // Upright face: the subject's right eye on the image's left, eyes nearly level and
    // above the nose, the nose above the mouth, ears outside the eyes.
    assert!(re[0] < le[0] && (re[1] - le[1]).abs() < 0.3 * (le[0] - re[0]));
    assert!(nose[1] > re[1].max(le[1]) && mouth[1] > nose[1]);
    assert!(rear[0] < re[0] && lear[0] > le[0]);
    // Everything inside the box.
    for p in k.iter().take(4) {
        assert!(p[0] > f.x && p[0] < f.x + f.w && p[1] > f.y && p[1] < f.y + f.h);
    }
    // Her head leans a little to her left (about 10°).
    assert!(f.roll() > 0.05 && f.roll() < 0.3, "{}", f.roll());
}

#[test]
fn a_foreign_or_damaged_model_is_an_error_not_a_panic() {
    let forest = std::fs::read(root().join("web/models/faceforest.model")).unwrap();
    let e = FaceDetector::from_model_bytes(&forest)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a TensorFlow Lite model"), "{e}");
    let good = model();
    for n in [8, 100, 1000, good.len() / 2, good.len() - 1] {
        assert!(
            FaceDetector::from_model_bytes(&good[..n]).is_err(),
            "prefix {n}"
        );
    }
    // Flipped bytes anywhere: an error or a working detector, never a panic.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let img = image::RgbImage::new(64, 48);
    for _ in 0..300 {
        let mut bad = good.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bad.len() as u64) as usize;
            bad[at] ^= (state >> 32) as u8 | 1;
        }
        if let Ok(d) = FaceDetector::from_model_bytes(&bad) {
            let _ = d.detect(&img, &DetectOptions::default());
        }
    }
}

/// A copy of the model damaged by the fuzzer (libFuzzer reported a timeout): its
/// network puts out NaNs, and a NaN box never left the suppression loop, which
/// grew its output until the process was killed. Non-finite detections are now
/// dropped and the loop always removes its top box: the detection finishes.
#[test]
fn a_damaged_model_that_gives_nans_finds_nothing_and_finishes() {
    let bytes =
        std::fs::read(root().join("crates/faceforest-frame/tests/data/fuzz-slow-model.tflite"))
            .unwrap();
    let t = std::time::Instant::now();
    if let Ok(d) = FaceDetector::from_model_bytes(&bytes) {
        for img in [
            image::RgbImage::from_pixel(40, 30, image::Rgb([120, 90, 60])),
            astronaut(),
        ] {
            let faces = d.detect(&img, &DetectOptions::default()).unwrap();
            assert!(
                faces
                    .iter()
                    .all(|f| f.x.is_finite() && f.w.is_finite() && f.score.is_finite()),
                "{faces:?}"
            );
        }
    }
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}
