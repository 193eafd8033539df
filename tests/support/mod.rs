//! Shared by the cross-crate Rust tests.

use std::path::PathBuf;

/// FASSEG read in place (`FASSEG_DIR`, else `../shared/fasseg` beside the checkout);
/// `None`, with a visible SKIPPED line, where the folder is absent.
pub fn fasseg_dir() -> Option<PathBuf> {
    let d = std::env::var_os("FASSEG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fasseg")
        });
    if d.join("frontal02").is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIPPED: FASSEG not found at {} (set FASSEG_DIR)",
            d.display()
        );
        None
    }
}
