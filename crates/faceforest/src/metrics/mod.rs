//! Confusion matrices, classification reports in scikit-learn's layout, and
//! precision–recall curves.

pub mod confusion;
pub mod curves;
pub mod report;

pub use confusion::Confusion;
pub use curves::PrCurves;
pub use report::{ClassMetrics, Report};
