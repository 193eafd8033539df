use thiserror::Error;

#[derive(Debug, Error)]
pub enum FrameError {
    /// The face detector model bytes could not be read.
    #[error("face detector model: {0}")]
    Model(String),
    /// An image buffer or size is unusable (empty, wrong length, too large).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// A label buffer does not match the size it was said to have.
    #[error("labels: {0}")]
    Labels(String),
    /// The segmenter failed.
    #[error(transparent)]
    Segment(#[from] faceforest::Error),
}
