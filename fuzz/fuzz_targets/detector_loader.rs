//! The face detector's model loader (our TensorFlow Lite reader) on arbitrary bytes,
//! and, when a file loads, one detection on a small image: an error, never a panic.
#![no_main]

use faceforest_frame::{DetectOptions, FaceDetector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(det) = FaceDetector::from_model_bytes(data) {
        let img = image::RgbImage::from_pixel(40, 30, image::Rgb([120, 90, 60]));
        let _ = det.detect(&img, &DetectOptions::default());
    }
});
