//! Detection and framing on real FASSEG photos. Skips (with a message on stderr,
//! visible with `--nocapture`) when the data cannot be found.

use faceforest_frame::landmarks::{eye_centres, eye_error};
use faceforest_frame::{
    crop_for, extract_crop, training_framing, CropRect, DetectOptions, FaceDetector, Overhang,
};
use std::path::PathBuf;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed detector model (`FACE_MODEL` overrides it).
fn model_path() -> PathBuf {
    std::env::var_os("FACE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("web/models/face_detection_short_range.tflite"))
}

fn fasseg_dir() -> PathBuf {
    std::env::var_os("FASSEG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/fasseg"))
}

fn setup() -> Option<(FaceDetector, PathBuf)> {
    let model = model_path();
    let data = fasseg_dir();
    if !data.join("frontal02").is_dir() {
        eprintln!(
            "SKIPPED: FASSEG not found at {} (set FASSEG_DIR)",
            data.display()
        );
        return None;
    }
    let bytes = std::fs::read(&model).expect("read model");
    Some((
        FaceDetector::from_model_bytes(&bytes).expect("model parses"),
        data,
    ))
}

#[test]
fn finds_exactly_one_face_inside_a_fasseg_photo() {
    let Some((det, data)) = setup() else { return };
    for name in ["1.png", "7.png", "23.png"] {
        let path = data.join("frontal02/test/rgb").join(name);
        let img = faceforest::dataset::fasseg::read_rgb(&path).unwrap();
        let faces = det
            .detect(&img, &DetectOptions::default())
            .unwrap_or_default();
        assert_eq!(faces.len(), 1, "{name}: {faces:?}");
        let f = faces[0];
        let (w, h) = (img.width() as f32, img.height() as f32);
        // The box lies inside the photo and is face-sized; a face box can poke out of
        // these tight crops by a few pixels, so allow 4% of the width.
        let slack = 0.04 * w;
        assert!(
            f.x >= -slack && f.y >= -slack && f.x + f.w <= w + slack && f.y + f.h <= h + slack,
            "{name}: {f:?}"
        );
        assert!(f.h > 0.4 * h && f.h < 0.9 * h, "{name}: {f:?}");
    }
}

#[test]
fn framing_recovers_the_fasseg_crop() {
    // Pasted into a larger canvas, the derived crop should be about the photo itself.
    let Some((det, data)) = setup() else { return };
    let img =
        faceforest::dataset::fasseg::read_rgb(&data.join("frontal02/test/rgb/5.png")).unwrap();
    let mut canvas = image::RgbImage::from_pixel(900, 700, image::Rgb([90, 120, 60]));
    image::imageops::replace(&mut canvas, &img, 300, 100);
    let faces = det
        .detect(&canvas, &DetectOptions::default())
        .unwrap_or_default();
    assert!(!faces.is_empty());
    let photo = (
        300.0,
        100.0,
        300.0 + img.width() as f64,
        100.0 + img.height() as f64,
    );
    let t = training_framing(&faces[0]);
    let iou = overlap(&t, photo) / union(&t, photo);
    assert!(
        iou > 0.8,
        "training framing {t:?} vs photo at (300,100): IoU {iou:.3}"
    );
    // The crop actually used (with the margin) holds nearly all of the photo.
    let c = crop_for(&faces[0], canvas.width(), canvas.height());
    let covered = overlap(&c, photo) / (img.width() as f64 * img.height() as f64);
    assert!(
        covered > 0.95,
        "crop {c:?} covers {covered:.3} of the photo"
    );
}

fn overlap(c: &CropRect, (px0, py0, px1, py1): (f64, f64, f64, f64)) -> f64 {
    let (cx0, cy0) = (c.x as f64, c.y as f64);
    let (cx1, cy1) = (cx0 + c.w as f64, cy0 + c.h as f64);
    (px1.min(cx1) - px0.max(cx0)).max(0.0) * (py1.min(cy1) - py0.max(cy0)).max(0.0)
}

fn union(c: &CropRect, p: (f64, f64, f64, f64)) -> f64 {
    (p.2 - p.0) * (p.3 - p.1) + c.w as f64 * c.h as f64 - overlap(c, p)
}

#[test]
fn no_face_in_noise() {
    let Some((det, _)) = setup() else { return };
    let mut s = 12345u32;
    let img = image::RgbImage::from_fn(320, 240, |_, _| {
        s = s.wrapping_mul(1664525).wrapping_add(1013904223);
        let v = (s >> 24) as u8;
        image::Rgb([v, v, v])
    });
    assert!(det
        .detect(&img, &DetectOptions::default())
        .unwrap_or_default()
        .is_empty());
}

/// Eye landmarks against the eye centres the labels give, on ten frontal02/test
/// photos: within 5% of the inter-ocular distance on average.
#[test]
fn eye_landmarks_match_the_labelled_eyes() {
    let Some((det, data)) = setup() else { return };
    let photos = faceforest::dataset::fasseg::load(
        &data,
        "frontal02",
        "test",
        &[],
        faceforest::prep::labels::LabelCleaning::default(),
    )
    .unwrap();
    let mut errs = Vec::new();
    for p in photos.iter().take(10) {
        let faces = det.detect(&p.photo, &DetectOptions::default()).unwrap();
        let centres = eye_centres(&p.labels.data, p.labels.width).expect("both eyes labelled");
        errs.push(eye_error(&faces[0], centres).unwrap());
    }
    let mean = errs.iter().sum::<f64>() / errs.len() as f64;
    assert!(mean <= 0.05, "mean eye error {mean:.3} IOD: {errs:?}");
}

/// A head rolled by ±15° and ±30° (the photo turned): the roll is recovered within
/// 5°, and the crop turns with it, so the face inside the crop is upright again.
#[test]
fn rolled_heads_are_recovered_and_the_crop_turns_upright() {
    let Some((det, data)) = setup() else { return };
    for name in ["2.png", "11.png"] {
        let img =
            faceforest::dataset::fasseg::read_rgb(&data.join("frontal02/test/rgb").join(name))
                .unwrap();
        let base = det.detect(&img, &DetectOptions::default()).unwrap()[0].roll();
        for deg in [-30.0f32, -15.0, 15.0, 30.0] {
            let side = img.width().max(img.height()) + 240;
            let turn = CropRect {
                x: img.width() as i32 / 2 - side as i32 / 2,
                y: img.height() as i32 / 2 - side as i32 / 2,
                w: side,
                h: side,
                angle: deg.to_radians(),
            };
            // The turned crop shows the face turned by -deg.
            let rolled = extract_crop(&img, &turn, Overhang::PadEdge, None);
            let faces = det.detect(&rolled, &DetectOptions::default()).unwrap();
            assert_eq!(faces.len(), 1, "{name} {deg}°");
            let got = (faces[0].roll() - base).to_degrees();
            assert!(
                (got + deg).abs() < 5.0,
                "{name}: rolled {deg}°, detected {got:.1}°"
            );
            let crop = crop_for(&faces[0], rolled.width(), rolled.height());
            assert!((crop.angle - faces[0].roll()).abs() < 1e-6);
            let cut = extract_crop(&rolled, &crop, Overhang::PadEdge, None);
            let again = det.detect(&cut, &DetectOptions::default()).unwrap();
            let left = (again[0].roll() - base).to_degrees();
            assert!(
                left.abs() < 5.0,
                "{name} {deg}°: {left:.1}° left in the crop"
            );
        }
    }
}
