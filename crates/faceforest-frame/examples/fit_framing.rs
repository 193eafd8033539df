//! Measures where the face detector puts its box on FASSEG photos, and from that the crop
//! (in box sides) that reproduces the photo's framing: the constants in src/crop.rs.
//!
//!   cargo run --release -p faceforest-frame --example fit_framing -- --model web/models/face_detection_short_range.tflite [--fasseg DIR]

mod common;

use faceforest::dataset::fasseg;
use faceforest::prep::labels::LabelCleaning;
use faceforest_frame::{DetectOptions, FaceDetector};
use std::path::PathBuf;

fn main() {
    let arg = common::arg;
    let model =
        arg("--model").unwrap_or_else(|| "web/models/face_detection_short_range.tflite".into());
    let root = arg("--fasseg")
        .map(PathBuf::from)
        .unwrap_or_else(fasseg::default_dir);
    let det = FaceDetector::from_model_bytes(&std::fs::read(&model).expect("read --model"))
        .expect("model");

    let mut groups = Vec::new();
    for (label, ds, split, poses) in [
        ("frontal02/train", "frontal02", "train", &[][..]),
        ("frontal02/test", "frontal02", "test", &[][..]),
        (
            "multipose01 0/±15",
            "multipose01",
            "train",
            &fasseg::STANDARD_POSES[..],
        ),
    ] {
        let photos =
            fasseg::load(&root, ds, split, poses, LabelCleaning::default()).expect("load FASSEG");
        groups.push((label, photos));
    }
    let opts = DetectOptions::default();
    // Per photo: box fraction of photo (x, y, w, h) and the inverse (height/s, dcx/s, dcy/s, width/s).
    let mut all: Vec<[f64; 7]> = Vec::new();
    let mut fails = 0;
    for (label, photos) in &groups {
        let mut rows = Vec::new();
        for p in photos {
            let (w, h) = (p.photo.width() as f64, p.photo.height() as f64);
            let faces = det.detect(&p.photo, &opts).unwrap_or_default();
            if faces.len() != 1 {
                println!("  {}: {} boxes", p.name, faces.len());
            }
            let Some(f) = faces.first() else {
                fails += 1;
                continue;
            };
            let s = f.side() as f64;
            let (bcx, bcy) = (f.x as f64 + f.w as f64 / 2.0, f.y as f64 + f.h as f64 / 2.0);
            rows.push([
                f.x as f64 / w,
                f.y as f64 / h,
                f.w as f64 / w,
                f.h as f64 / h,
                h / s,
                (w / 2.0 - bcx) / s,
                (h / 2.0 - bcy) / s,
            ]);
        }
        summary(label, &rows);
        all.extend(rows);
    }
    summary("ALL", &all);
    println!("photos without a face: {fails}");
}

fn summary(label: &str, rows: &[[f64; 7]]) {
    let n = rows.len() as f64;
    let stat = |k: usize| {
        let m = rows.iter().map(|r| r[k]).sum::<f64>() / n;
        let sd = (rows.iter().map(|r| (r[k] - m).powi(2)).sum::<f64>() / n).sqrt();
        let mut v: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        v.sort_by(f64::total_cmp);
        (m, sd, v[v.len() / 2])
    };
    println!("{label} ({} photos)", rows.len());
    for (k, name) in [
        "box x / W",
        "box y / H",
        "box w / W",
        "box h / H",
        "photo H / s",
        "(photo cx - box cx) / s",
        "(photo cy - box cy) / s",
    ]
    .iter()
    .enumerate()
    {
        let (m, sd, med) = stat(k);
        println!("  {name:<26} mean {m:7.4}  sd {sd:6.4}  median {med:7.4}");
    }
}
