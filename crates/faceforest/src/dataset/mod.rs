//! Reading datasets from disk (native only): [`description`] reads any dataset from
//! a description file (`datasets/*.toml`); [`fasseg`] is the older FASSEG-only
//! loader, kept for the framing examples and as the reference the FASSEG description
//! is tested against.

pub mod description;
pub mod fasseg;

pub use description::{Description, Part};
