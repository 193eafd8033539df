//! How well the face detector does on the labelled data: faces found, and the eye
//! landmarks against the eye centres taken from the labels (as a fraction of the
//! inter-ocular distance); found rate per pose on FASSEG multipose01; a synthetic
//! roll recovered.
//!
//!   cargo run --release -p faceforest-frame --example detector_report -- \
//!       [--fasseg DIR] [--celebamask datasets/celebamask-hq.toml]

mod common;

use faceforest::dataset::description::{Description, Part};
use faceforest::dataset::fasseg;
use faceforest::pipeline::Photo;
use faceforest::prep::labels::LabelCleaning;
use faceforest_frame::landmarks::{eye_centres, eye_error};
use faceforest_frame::{extract_crop, CropRect, DetectOptions, FaceDetector, Overhang};
use std::path::PathBuf;

struct Tally {
    photos: usize,
    found: usize,
    several: usize,
    errors: Vec<f64>,
    /// Mean signed offset landmark - label centre, in IODs: along the eye line
    /// (outwards, away from the other eye) and across it (down the face).
    bias: [f64; 2],
    missed: Vec<String>,
}

fn tally(det: &FaceDetector, photos: &[Photo]) -> Tally {
    let mut t = Tally {
        photos: photos.len(),
        found: 0,
        several: 0,
        errors: Vec::new(),
        bias: [0.0; 2],
        missed: Vec::new(),
    };
    for p in photos {
        let faces = det
            .detect(&p.photo, &DetectOptions::default())
            .unwrap_or_default();
        match faces.first() {
            None => t.missed.push(p.name.clone()),
            Some(f) => {
                t.found += 1;
                t.several += (faces.len() > 1) as usize;
                if let Some(e) = eye_centres(&p.labels.data, p.labels.width) {
                    t.errors.extend(eye_error(f, e));
                    let k = f.keypoints.unwrap();
                    let (ax, ay) = (e[1][0] - e[0][0], e[1][1] - e[0][1]);
                    let iod2 = ax * ax + ay * ay;
                    for (kp, c, out) in [(k[0], e[0], -1.0), (k[1], e[1], 1.0)] {
                        let (dx, dy) = (kp[0] as f64 - c[0], kp[1] as f64 - c[1]);
                        t.bias[0] += out * (dx * ax + dy * ay) / iod2 / 2.0;
                        t.bias[1] += (-dx * ay + dy * ax) / iod2 / 2.0;
                    }
                }
            }
        }
    }
    t
}

fn print(label: &str, t: &Tally) {
    let mut e = t.errors.clone();
    e.sort_by(f64::total_cmp);
    let mean = e.iter().sum::<f64>() / e.len().max(1) as f64;
    println!(
        "{label:<28} found {:>4}/{:<4} ({:5.1}%)  several faces {:>3}  eye error / IOD: mean {:.3}, median {:.3}, p90 {:.3} ({} photos with both eyes labelled)",
        t.found,
        t.photos,
        100.0 * t.found as f64 / t.photos.max(1) as f64,
        t.several,
        mean,
        e.get(e.len() / 2).copied().unwrap_or(f64::NAN),
        e.get(e.len() * 9 / 10).copied().unwrap_or(f64::NAN),
        e.len()
    );
    let n = t.errors.len().max(1) as f64;
    println!(
        "    mean offset landmark - label centre: {:+.3} IOD outwards along the eye line, {:+.3} down across it",
        t.bias[0] / n,
        t.bias[1] / n
    );
    if !t.missed.is_empty() {
        println!("    missed: {}", t.missed.join(", "));
    }
}

fn main() {
    let arg = common::arg;
    let root = common::workspace_root();
    let det = common::shipped_detector();
    let fas = arg("--fasseg")
        .map(PathBuf::from)
        .unwrap_or_else(fasseg::default_dir);
    let c = LabelCleaning::default();

    let mut frontal = fasseg::load(&fas, "frontal02", "train", &[], c).expect("frontal02/train");
    frontal.extend(fasseg::load(&fas, "frontal02", "test", &[], c).expect("frontal02/test"));
    print("FASSEG frontal02 (all 70)", &tally(&det, &frontal));

    println!("FASSEG multipose01/train, per pose:");
    for pose in [
        "0", "+15", "-15", "+30", "-30", "+45", "-45", "+60", "-60", "+75", "-75", "+90", "-90",
    ] {
        let photos = fasseg::load(&fas, "multipose01", "train", &[pose], c).expect("multipose01");
        print(&format!("  pose {pose}"), &tally(&det, &photos));
    }

    let desc = arg("--celebamask")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("datasets/celebamask-hq.toml"));
    match Description::from_file(&desc) {
        Ok(d) => {
            let mut all = d.load(Part::Train, 1.0).expect("CelebAMask-HQ train part");
            let test = d.load(Part::Test, 1.0).expect("CelebAMask-HQ test part");
            let train_t = tally(&det, &all);
            print("CelebAMask-HQ train part", &train_t);
            let test_t = tally(&det, &test);
            print("CelebAMask-HQ validation part", &test_t);
            all.extend(test);
            print("CelebAMask-HQ (all)", &tally(&det, &all));
        }
        Err(e) => println!("CelebAMask-HQ skipped: {e}"),
    }

    // Synthetic roll: frontal02/test photos turned by ±10..±30° (a turned crop of the
    // photo padded into a square canvas), the detected roll against the truth.
    let mut worst = 0f64;
    let mut errs = Vec::new();
    let mut missed = 0;
    for p in frontal.iter().skip(20) {
        // The photo's own lean, measured once.
        let upright = det
            .detect(&p.photo, &DetectOptions::default())
            .unwrap_or_default();
        let base = upright.first().map_or(0.0, |u| u.roll()) as f64;
        for deg in [-30.0f32, -20.0, -10.0, 10.0, 20.0, 30.0] {
            let side = p.photo.width().max(p.photo.height()) + 200;
            let c = CropRect {
                x: p.photo.width() as i32 / 2 - side as i32 / 2,
                y: p.photo.height() as i32 / 2 - side as i32 / 2,
                w: side,
                h: side,
                angle: deg.to_radians(),
            };
            let turned = extract_crop(&p.photo, &c, Overhang::PadEdge, None);
            let faces = det
                .detect(&turned, &DetectOptions::default())
                .unwrap_or_default();
            let Some(f) = faces.first() else {
                missed += 1;
                continue;
            };
            // The turned crop shows the face turned by -angle.
            let e = (f.roll() as f64 - base + deg.to_radians() as f64)
                .to_degrees()
                .abs();
            worst = worst.max(e);
            errs.push(e);
        }
    }
    println!(
        "synthetic roll ±10..±30° on 50 frontal02/test photos: {} turned photos, {missed} without a face; roll error mean {:.2}°, worst {:.2}°",
        errs.len() + missed,
        errs.iter().sum::<f64>() / errs.len().max(1) as f64,
        worst
    );
}
