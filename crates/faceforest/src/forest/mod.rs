//! Our random forest: histogram training on features quantised to at most 256
//! bins, and a compact pre-order layout for prediction that the model file stores
//! as it is.

pub mod binning;
pub mod layout;
pub mod planes;
pub mod predict;
pub mod train;
pub mod walk;

pub use binning::Bins;
pub use layout::{CompactTree, Forest};
pub use train::{ClassWeight, ForestParams, TrainReport};
