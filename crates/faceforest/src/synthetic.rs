//! Synthetic cartoon faces with exact labels, for tests and benchmarks that must not
//! depend on the dataset: an ellipse of skin under a cap of hair, two eyes, a nose
//! and a mouth, over a noisy background, with a seeded jitter of position and colour.

use crate::classes::Class;
use crate::pipeline::Photo;
use crate::prep::labels::LabelMap;
use image::{Rgb, RgbImage};
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

pub fn face(width: u32, height: u32, seed: u64) -> Photo {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut unit = || (rng.next_u32() as f32) / (u32::MAX as f32);
    let (w, h) = (width as f32, height as f32);
    let cx = w * (0.47 + 0.06 * unit());
    let cy = h * (0.52 + 0.06 * unit());
    let rx = w * (0.30 + 0.04 * unit());
    let ry = h * (0.34 + 0.04 * unit());
    let skin = [
        200.0 + 30.0 * unit(),
        150.0 + 30.0 * unit(),
        120.0 + 20.0 * unit(),
    ];
    let hair = [
        40.0 + 30.0 * unit(),
        25.0 + 20.0 * unit(),
        15.0 + 10.0 * unit(),
    ];
    let bg = [
        60.0 + 120.0 * unit(),
        90.0 + 100.0 * unit(),
        150.0 + 80.0 * unit(),
    ];
    let mut photo = RgbImage::new(width, height);
    let mut labels = vec![0u8; (width * height) as usize];
    let mut noise = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xABCD);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let (dx, dy) = ((fx - cx) / rx, (fy - cy) / ry);
            let inside = dx * dx + dy * dy <= 1.0;
            let class = if inside && dy < -0.55
                || (dx * dx / 1.3 + (dy + 0.15).powi(2) <= 1.0 && dy < -0.45)
            {
                Class::Hair
            } else if inside {
                let eye =
                    |ex: f32| ((dx - ex) / 0.16).powi(2) + ((dy + 0.18) / 0.07).powi(2) <= 1.0;
                if eye(0.38) {
                    Class::LeftEye // the person's left: image right
                } else if eye(-0.38) {
                    Class::RightEye
                } else if dx.abs() < 0.12 && dy > -0.1 && dy < 0.25 {
                    Class::Nose
                } else if dx.abs() < 0.32 && (dy - 0.5).abs() < 0.07 {
                    Class::Mouth
                } else {
                    Class::Skin
                }
            } else {
                Class::Background
            };
            let base = match class {
                Class::Background => bg,
                Class::Hair => hair,
                Class::LeftEye | Class::RightEye => [30.0, 30.0, 40.0],
                Class::Nose => [skin[0] - 35.0, skin[1] - 35.0, skin[2] - 30.0],
                Class::Mouth => [170.0, 60.0, 70.0],
                _ => skin,
            };
            let n = (noise.next_u32() % 21) as f32 - 10.0;
            photo.put_pixel(x, y, Rgb(base.map(|c| (c + n).clamp(0.0, 255.0) as u8)));
            labels[(y * width + x) as usize] = class as u8;
        }
    }
    Photo {
        name: format!("synthetic-{seed}"),
        photo,
        labels: LabelMap {
            width,
            height,
            data: labels,
        },
        weight: 1.0,
    }
}

/// A small model with every kind of feature (Lab, location, HOG, context windows) and
/// an auto-context stage, trained on synthetic faces in a fraction of a second: for
/// tests and fuzzing, where a real model would make each execution slow. Deterministic.
pub fn small_model() -> crate::Model {
    use crate::features::{ColourSpace, FeatureConfig, HogConfig};
    use crate::forest::ForestParams;
    use crate::pipeline::{train_model, TrainOptions};
    let photos: Vec<Photo> = (0..6).map(|s| face(40, 52, s)).collect();
    let opts = TrainOptions {
        size: 32,
        features: FeatureConfig {
            colour: vec![ColourSpace::Lab],
            location: true,
            hog: vec![HogConfig {
                cell: 6,
                ..Default::default()
            }],
            context: vec![9],
        },
        forest: ForestParams {
            n_trees: 2,
            max_leaves: Some(40),
            ..Default::default()
        },
        context_stages: 1,
        ..Default::default()
    };
    train_model(&photos, &opts, &|| {})
        .expect("the small synthetic model trains")
        .0
}

/// `jpeg` with an APP1 Exif segment holding only an orientation tag (1–8) spliced in
/// after its start-of-image marker, as a phone writes a photo taken sideways.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // Little-endian TIFF header, one IFD with one entry: 0x0112 Orientation, SHORT, 1.
    let mut seg = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
    seg.extend(1u16.to_le_bytes());
    seg.extend(0x0112u16.to_le_bytes());
    seg.extend(3u16.to_le_bytes());
    seg.extend(1u32.to_le_bytes());
    seg.extend(orientation.to_le_bytes());
    seg.extend([0, 0]);
    seg.extend(0u32.to_le_bytes());
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend((seg.len() as u16 + 2).to_be_bytes());
    out.extend(seg);
    out.extend(&jpeg[2..]);
    out
}
