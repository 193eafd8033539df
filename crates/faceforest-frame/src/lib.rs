//! Face framing for faceforest: find the face in a photo and derive the crop the
//! segmenter expects.
//!
//! The forest was trained on FASSEG photos, which are tight, centred, upright
//! 363×512 crops of a face, and it leans on pixel location. A selfie or webcam frame
//! must therefore be cropped to that framing — turned with a tilted head — before
//! segmenting, and the labels pasted back:
//!
//! ```text
//! FaceDetector::detect (BlazeFace, src/tflite.rs)  ->  crop_for  ->  extract_crop
//!     ->  Segmenter::segment  ->  paste_labels
//! ```
//!
//! [`segment_framed`] does the last three steps in one call ([`segment_framed_with`]
//! also pastes back the class probabilities as planes, with
//! [`paste_probabilities_scaled`], which maps pixels exactly as `paste_labels_scaled`
//! does). [`BoxTracker`] /
//! [`smooth_box`] steady the box from frame to frame for webcam tracking.
//!
//! Everything here is wasm-compatible: the detector model is read from bytes (the
//! browser has no file system).

mod crop;
mod detect;
mod error;
pub mod landmarks;
mod segment;
mod smooth;
mod tflite;

pub use crop::{
    crop_for, crop_for_with, extract_crop, ideal_crop, paste_labels, paste_labels_scaled,
    paste_probabilities_scaled, probability_planes, shift_inside, CropRect, Overhang,
};
pub use crop::{
    training_framing, CROP_ASPECT, CROP_CENTRE_DX, CROP_CENTRE_DY, CROP_HEIGHT, CROP_MARGIN,
    MIN_ROLL_DEGREES, TRAIN_HEIGHT, TRAIN_WIDTH,
};
pub use detect::{DetectOptions, FaceBox, FaceDetector, EYE_RAISE, REFINE_SIDES};
pub use error::FrameError;
pub use segment::{segment_framed, segment_framed_with, FramedSegmentation};
pub use smooth::{smooth_box, BoxTracker, SmoothParams};

/// Runs the detector's network alone on a prepared input (128×128×3 floats in
/// [-1, 1]): its raw outputs, regressors then score logits. For tests against a
/// reference runtime and for benchmarks.
pub fn run_detector_network(model: &[u8], input: &[f32]) -> Result<Vec<Vec<f32>>, FrameError> {
    tflite::Graph::from_bytes(model)?.run(input)
}
