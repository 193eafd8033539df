//! Trains a small model for the browser tests while `web/models/faceforest.model`
//! does not exist yet (size 128, 8 trees of at most 2000 leaves, FASSEG standard
//! training set).
//!
//!     cargo run --release -p faceforest-wasm --example train_test_model -- target/test-model.bin [--force]
//!
//! An existing file that this build of the core can load is kept.
//!
//! FASSEG is read from `FASSEG_DIR` (default `../shared/fasseg`).

// Native only (they read files); on wasm32 (`cargo test --target wasm32-unknown-unknown`
// builds examples too) they compile to nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use faceforest::dataset::fasseg;
    use faceforest::forest::train::ForestParams;
    use faceforest::pipeline::{train_model, TrainOptions};
    use std::time::Instant;

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let force = args.iter().any(|a| a == "--force");
        let out = args
            .iter()
            .find(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| "target/test-model.bin".into());
        // Kept while this build of the core still reads it (the format may change
        // during development); `--force` retrains anyway.
        if !force {
            if let Ok(bytes) = std::fs::read(&out) {
                if faceforest::Segmenter::from_bytes(&bytes).is_ok() {
                    eprintln!("{out} is up to date (it loads with this build; --force retrains)");
                    return;
                }
                eprintln!("{out} does not load with this build of the core: retraining");
            }
        }
        let t = Instant::now();
        let photos = fasseg::standard_train(&fasseg::default_dir(), Default::default())
            .unwrap_or_else(|e| {
                eprintln!("error: {e}");
                std::process::exit(1)
            });
        let opts = TrainOptions {
            size: 128,
            forest: ForestParams {
                n_trees: 8,
                max_leaves: Some(2000),
                ..Default::default()
            },
            ..Default::default()
        };
        let (model, report) = train_model(&photos, &opts, &|| {}).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
        let bytes = model.to_bytes();
        if let Some(dir) = std::path::Path::new(&out).parent() {
            std::fs::create_dir_all(dir).expect("creating the output folder");
        }
        std::fs::write(&out, &bytes).expect("writing the model");
        eprintln!(
            "wrote {out}: {} bytes, {} photos, {} trees, {} nodes, {:.1}s",
            bytes.len(),
            photos.len(),
            model.forest.trees.len(),
            report.nodes,
            t.elapsed().as_secs_f64()
        );
    }
}
