use thiserror::Error;

/// Every failure the core can report; messages are written for the person who caused them.
#[derive(Debug, Error)]
pub enum Error {
    #[error("not a faceforest model (the file does not start with the FACEFRST magic bytes)")]
    NotAModel,
    #[error("model format version {found} is newer than this build understands (up to {supported}); update faceforest")]
    NewerModel { found: u16, supported: u16 },
    #[error("model format version {found} is older than this build understands (from {oldest}); retrain the model")]
    OlderModel { found: u16, oldest: u16 },
    #[error("model file is truncated or corrupt: {0}")]
    CorruptModel(String),
    #[error("model does not match this build of faceforest: {0}; it was made by another version or feature configuration — retrain it or use the matching faceforest")]
    MismatchedModel(String),
    #[error("invalid image: {0}")]
    InvalidImage(String),
    #[error("invalid setting: {0}")]
    InvalidConfig(String),
    #[error("{0}")]
    Data(String),
    #[error("model is {actual} bytes, over the size budget of {budget} bytes; use fewer trees, a larger min-samples-leaf or a max-leaves limit")]
    OverBudget { actual: usize, budget: usize },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
