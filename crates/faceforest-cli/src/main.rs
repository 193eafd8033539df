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

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
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

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;
