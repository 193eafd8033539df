//! Dataset description files (datasets/*.toml, docs/datasets.md) on arbitrary text:
//! parsed and checked — an error, never a panic. (The folders a description names are
//! not listed: what the fuzzer's paths hold on this machine is not the loader's input.)
#![no_main]

use faceforest::dataset::description::Description;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = Path::new("/nonexistent/faceforest-fuzz");
    let _ = Description::parse(text, Path::new("fuzz.toml"), dir, None);
});
