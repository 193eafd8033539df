//! Preparing photos and labels before features: the square resize and label cleaning.

pub mod labels;
pub mod square;

pub use labels::{clean_labels, LabelCleaning, LabelMap};
pub use square::SquareGeometry;
