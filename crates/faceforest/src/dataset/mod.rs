//! Reading datasets from disk (native only).

pub mod fasseg;
