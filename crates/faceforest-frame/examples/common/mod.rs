//! What the measurement examples share: their `--key value` arguments and the
//! committed face detector.

use faceforest_frame::FaceDetector;
use std::path::PathBuf;

/// The value after `key` on the command line, if given.
pub fn arg(key: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The repository's root folder.
#[allow(dead_code)] // not every example needs it
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed BlazeFace model, loaded.
#[allow(dead_code)]
pub fn shipped_detector() -> FaceDetector {
    let path = workspace_root().join("web/models/face_detection_short_range.tflite");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    FaceDetector::from_model_bytes(&bytes).expect("the committed detector model loads")
}
