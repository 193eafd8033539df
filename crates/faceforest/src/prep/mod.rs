//! Preparing photos and labels before features: the square resize, label cleaning
//! and augmentation.

pub mod augment;
pub mod labels;
pub mod square;

pub use labels::{clean_labels, LabelCleaning, LabelMap};
pub use square::SquareGeometry;
