//! faceforest core: every step from an RGBA photo to per-pixel face-part labels.
//!
//! The data's path, top to bottom: [`prep`] (square resize, label cleaning) →
//! [`features`] (colour, location, HOG planes) → [`forest`] (histogram training,
//! compact prediction) → [`metrics`]. [`model`] is the versioned file that ties a
//! forest to the exact feature configuration it was trained with, and [`Segmenter`]
//! is the one entry point that applications need.

pub mod classes;
pub mod error;
pub mod features;
pub mod forest;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod par;
pub mod pipeline;
pub mod post;
pub mod prep;
pub mod segment;
pub mod synthetic;

#[cfg(feature = "fs")]
pub mod dataset;

pub use classes::{Class, ClassInfo, NUM_CLASSES};
pub use error::{Error, Result};
pub use features::FeatureConfig;
pub use model::Model;
pub use segment::{colourise, Segmentation, Segmenter};
