//! `faceforest`: train, evaluate, grid-search and apply the face-parsing forest.

mod args;
mod data;
mod eval;
mod export;
mod grid_search;
mod info;
mod labels;
mod plots;
mod progress;
mod segment;
mod train;

fn main() {
    let cli = args::parse();
    if let Some(t) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .ok();
    }
    let result = match cli.command {
        args::Command::Train(a) => train::run(a),
        args::Command::Eval(a) => eval::run(a),
        args::Command::GridSearch(a) => grid_search::run(a),
        args::Command::Segment(a) => segment::run(a),
        args::Command::Info(a) => info::run(a),
        args::Command::Labels(a) => labels::run(a),
        args::Command::Export(a) => export::run(a),
        args::Command::FitNpy(a) => export::fit_npy(a),
        args::Command::ScoreProbs(a) => export::score_probs(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// The shipped model (web/models/faceforest.model, through the symlink in models/),
/// used when `segment` or `info` gets no model: it works from any folder.
pub static SHIPPED_MODEL: &[u8] = include_bytes!("../models/faceforest.model");

/// The face detector `segment` frames photos with by default (BlazeFace short range,
/// web/models/face_detection_short_range.tflite, Apache-2.0), built in the same way.
pub static SHIPPED_DETECTOR: &[u8] = include_bytes!("../models/face_detection_short_range.tflite");

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;
