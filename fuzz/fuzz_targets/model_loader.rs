//! Model bytes → `Model::from_bytes`: any input is refused with an error or loads;
//! a model that loads must segment a photo without panicking (its `validate`
//! promises that). Seeded with a valid small model (scripts/fuzz.sh).
#![no_main]

use faceforest::{Model, Segmenter};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn photo() -> &'static image::RgbImage {
    static PHOTO: OnceLock<image::RgbImage> = OnceLock::new();
    PHOTO.get_or_init(|| faceforest::synthetic::face(24, 30, 7).photo)
}

fuzz_target!(|data: &[u8]| {
    let Ok(model) = Model::from_bytes(data) else {
        return;
    };
    // A mutated square size up to 1024 is valid but makes one execution take
    // seconds; the prediction code is the same at any size.
    if model.size > 96 {
        return;
    }
    let seg = Segmenter::new(model).expect("a model that loaded validates");
    let s = seg.segment(photo(), true).expect("a valid photo segments");
    assert_eq!(s.labels.len(), 24 * 30);
    assert!(s.labels.iter().all(|&l| (l as usize) < seg.classes().len()));
});
