//! Command-line arguments. Defaults are the seed's reference settings.

use clap::{Args, Parser, Subcommand, ValueEnum};
use faceforest::features::{ColourSpace, FeatureConfig, HogConfig};
use faceforest::forest::{ClassWeight, ForestParams};
use faceforest::pipeline::TrainOptions;
use faceforest::post::PostProcess;
use faceforest::prep::augment::Augment;
use faceforest::prep::LabelCleaning;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "faceforest",
    version,
    about = "Per-pixel random-forest face parsing (FASSEG)"
)]
pub struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true, value_parser = usize_in(1, 1024))]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Train a forest on FASSEG and write the model file.
    Train(TrainArgs),
    /// Evaluate a model on the FASSEG test photos (honest and seed views).
    Eval(EvalArgs),
    /// K-fold cross-validation by photo over a grid of settings; refits the best.
    GridSearch(GridArgs),
    /// Label any photos: writes a label PNG (class ids, class colours as its palette)
    /// and an overlay PNG each.
    Segment(SegmentArgs),
    /// Print a model's size, structure, features and provenance (default: the built-in
    /// shipped model).
    Info(InfoArgs),
    /// Compare the two label-cleaning methods (nearest colour vs the seed's k-means).
    Labels(LabelsArgs),
    /// Export the standard protocol's quantisation-free feature matrices as .npy.
    Export(ExportArgs),
    /// Fit our forest on exported .npy features (the scikit-learn side-by-side).
    FitNpy(FitNpyArgs),
    /// Score class probabilities over exported test features (honest and seed views).
    ScoreProbs(ScoreArgs),
}

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Dataset description file (datasets/*.toml, format in docs/datasets.md), with an
    /// optional sampling weight for its pixels relative to the others':
    /// `--dataset datasets/fasseg.toml --dataset datasets/celebamask-hq.toml:0.5`.
    /// Repeat to combine datasets. Default: FASSEG's standard protocol from --fasseg.
    #[arg(long = "dataset", value_name = "FILE[:WEIGHT]", value_parser = dataset_arg)]
    pub datasets: Vec<(PathBuf, f32)>,
    /// FASSEG folder (holding frontal01, frontal02, multipose01) for the built-in
    /// FASSEG description, used when no --dataset is given.
    #[arg(long, env = "FASSEG_DIR", default_value = "../shared/fasseg")]
    pub fasseg: PathBuf,
    /// Label cleaning of palette masks: nearest palette colour, or the seed's k-means
    /// on gray values (default: each description's own `cleaning`).
    #[arg(long, value_enum)]
    pub labels: Option<Cleaning>,
}

/// `FILE` or `FILE:WEIGHT`, the weight above 0 and at most 1000.
fn dataset_arg(s: &str) -> Result<(PathBuf, f32), String> {
    if let Some((path, w)) = s.rsplit_once(':') {
        if let Ok(v) = w.trim().parse::<f64>() {
            return if v > 0.0 && v <= 1000.0 {
                Ok((PathBuf::from(path), v as f32))
            } else {
                Err(format!(
                    "weight {w} of {path} is not within 0–1000 (above 0)"
                ))
            };
        }
    }
    Ok((PathBuf::from(s), 1.0))
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Cleaning {
    Nearest,
    Kmeans,
}

impl From<Cleaning> for LabelCleaning {
    fn from(c: Cleaning) -> Self {
        match c {
            Cleaning::Nearest => LabelCleaning::Nearest,
            Cleaning::Kmeans => LabelCleaning::KMeans,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Colour {
    Gray,
    Rgb,
    Lab,
    Hsv,
}

/// Everything that decides a model.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Side of the square photos are resized and padded to.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(16..=1024))]
    pub size: u32,
    /// Colour channels (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "rgb")]
    pub colour: Vec<Colour>,
    /// Leave out normalised x, y.
    #[arg(long)]
    pub no_location: bool,
    /// HOG cell sizes in pixels (comma-separated; 0 for no HOG).
    #[arg(long, value_delimiter = ',', default_value = "10", value_parser = clap::value_parser!(u32).range(0..=256))]
    pub hog_cell: Vec<u32>,
    /// HOG orientation bins (unsigned gradients, 0–180°).
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub hog_orientations: u32,
    /// HOG from the strongest of the R, G, B gradients (scikit-image on colour) rather than luma.
    #[arg(long)]
    pub hog_colour: bool,
    /// Window sizes for local colour mean / texture features (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=255))]
    pub context: Vec<u32>,
    /// Trees per forest (each auto-context stage has as many).
    #[arg(long, default_value_t = 55, value_parser = usize_in(1, 10_000))]
    pub trees: usize,
    /// Maximum depth (default: none).
    #[arg(long, value_parser = usize_in(1, 256))]
    pub max_depth: Option<usize>,
    /// Fewest training pixels a leaf may hold (larger: smaller, smoother trees).
    #[arg(long, default_value_t = 1, value_parser = usize_in(1, 1_000_000))]
    pub min_samples_leaf: usize,
    /// Candidate features per split (default: floor(sqrt(features))).
    #[arg(long, value_parser = usize_in(1, 100_000))]
    pub max_features: Option<usize>,
    /// Leaf budget per tree (grows best-first).
    #[arg(long, value_parser = usize_in(2, 100_000_000))]
    pub max_leaves: Option<usize>,
    /// Bootstrap size as a fraction of the training pixels.
    #[arg(long, default_value_t = 1.0, value_parser = fraction)]
    pub max_samples: f64,
    /// Class weights (n/(k*n_c))^power; 0 = unweighted, 1 = balanced.
    #[arg(long, default_value_t = 0.0, value_parser = power)]
    pub class_weight_power: f32,
    /// Report the out-of-bag accuracy.
    #[arg(long)]
    pub oob: bool,
    /// Random seed (bootstrap samples, candidate features, augmentation); the same
    /// seed and settings give the same model.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Refuse a model file larger than this many bytes.
    #[arg(long, value_parser = usize_in(1, usize::MAX))]
    pub size_budget: Option<usize>,
    /// Auto-context stages after the first forest.
    #[arg(long, default_value_t = 0, value_parser = usize_in(0, 8))]
    pub context_stages: usize,
    /// Folds for the out-of-fold probabilities context stages learn from.
    #[arg(long, default_value_t = 3, value_parser = usize_in(2, 100))]
    pub context_folds: usize,
    /// Pixels whose stage-1 top probability reaches this keep it and skip the
    /// context stage (above 1: none skip). Chosen by grid-search --grid-skip-confident.
    #[arg(long, default_value_t = 0.95, value_parser = threshold)]
    pub skip_confident: f32,
    /// Augmented copies per training photo: shifted ±10%, scaled 0.8–1.2, rotated
    /// ±10°, colour-jittered, every other one mirrored (eye labels swapped).
    #[arg(long, default_value_t = 0, value_parser = usize_in(0, 100))]
    pub augment: usize,
    /// Keep only the largest blob of each face part (eyes, nose, mouth); the
    /// others go to their next most likely class. Chosen by grid-search
    /// --grid-largest-parts.
    #[arg(long)]
    pub largest_parts: bool,
    /// Box-average the class probabilities over (2r+1)² pixels before labelling
    /// (0: none). Chosen by grid-search --grid-smooth.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub smooth: u8,
    /// Factor on the face parts' probabilities before labelling (below 1: fewer
    /// pixels go to eyes, nose and mouth; 1: none). Chosen by grid-search
    /// --grid-part-scale.
    #[arg(long, default_value_t = 1.0, value_parser = scale)]
    pub part_scale: f32,
}

impl ModelArgs {
    pub fn features(&self) -> FeatureConfig {
        FeatureConfig {
            colour: self
                .colour
                .iter()
                .map(|c| match c {
                    Colour::Gray => ColourSpace::Gray,
                    Colour::Rgb => ColourSpace::Rgb,
                    Colour::Lab => ColourSpace::Lab,
                    Colour::Hsv => ColourSpace::Hsv,
                })
                .collect(),
            location: !self.no_location,
            hog: self
                .hog_cell
                .iter()
                .filter(|&&c| c > 0)
                .map(|&cell| HogConfig {
                    cell,
                    orientations: self.hog_orientations,
                    colour: self.hog_colour,
                })
                .collect(),
            context: self.context.clone(),
        }
    }

    pub fn options(&self) -> TrainOptions {
        TrainOptions {
            size: self.size,
            features: self.features(),
            forest: ForestParams {
                n_trees: self.trees,
                max_depth: self.max_depth,
                min_samples_leaf: self.min_samples_leaf,
                max_features: self.max_features,
                max_leaves: self.max_leaves,
                bootstrap: true,
                max_samples: self.max_samples,
                class_weight: if self.class_weight_power > 0.0 {
                    ClassWeight::Balanced {
                        power: self.class_weight_power,
                    }
                } else {
                    ClassWeight::None
                },
                oob: self.oob,
                seed: self.seed,
            },
            size_budget: self.size_budget,
            context_stages: self.context_stages,
            context_folds: self.context_folds,
            skip_confident: self.skip_confident,
            augment: Augment {
                copies: self.augment,
                ..Augment::default()
            },
            post: PostProcess {
                largest_parts: self.largest_parts,
                smooth: self.smooth,
                part_scale: self.part_scale,
            },
        }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// A named recipe: `shipped` is the one of web/models/faceforest.model. Options
    /// given as well override the preset's (see --print-options).
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Print the settings this run would train with (JSON) and exit, reading no data.
    #[arg(long)]
    pub print_options: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    /// The command line after the preset is expanded (recorded in the model).
    #[arg(skip)]
    pub expanded: Vec<String>,
    /// Where to write the model.
    #[arg(short, long, default_value = "out/model.ff")]
    pub output: PathBuf,
    /// Also evaluate on the test photos and write report.json and plots next to the model.
    #[arg(long)]
    pub eval: bool,
}

/// Named training recipes for `train --preset`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Preset {
    /// The shipped model's recipe (web/models/faceforest.model).
    Shipped,
}

/// The shipped model's recipe, declared once: `scripts/train-web-model.sh` trains with
/// `--preset shipped`, and its header says how each setting was chosen.
pub const SHIPPED_RECIPE: &[&str] = &[
    "--size",
    "128",
    "--colour",
    "lab",
    "--hog-cell",
    "6",
    "--context",
    "9,25",
    "--trees",
    "16",
    "--max-leaves",
    "3000",
    "--class-weight-power",
    "0.5",
    "--augment",
    "1",
    "--context-stages",
    "2",
    "--skip-confident",
    "0.95",
    "--largest-parts",
    "--smooth",
    "1",
    "--part-scale",
    "0.65",
    "--seed",
    "0",
    "--size-budget",
    "2000000",
];

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Shipped => "shipped",
        }
    }

    pub fn recipe(self) -> &'static [&'static str] {
        match self {
            Preset::Shipped => SHIPPED_RECIPE,
        }
    }
}

/// Parses the command line; `train --preset NAME` is parsed again with the preset's
/// options appended, leaving out each one the command line gives itself (so those win).
pub fn parse() -> Cli {
    parse_from(std::env::args_os().collect())
}

pub fn parse_from(argv: Vec<std::ffi::OsString>) -> Cli {
    use clap::parser::ValueSource;
    use clap::{CommandFactory, FromArgMatches};
    let cmd = Cli::command();
    let matches = cmd.clone().get_matches_from(&argv);
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let Command::Train(train) = &cli.command else {
        return cli;
    };
    let Some(preset) = train.preset else {
        return cli;
    };
    let sub = matches
        .subcommand_matches("train")
        .expect("train was parsed");
    let train_cmd = cmd.find_subcommand("train").expect("train exists");
    let mut extra: Vec<std::ffi::OsString> = Vec::new();
    let mut given = false;
    for item in preset.recipe() {
        if let Some(long) = item.strip_prefix("--") {
            let arg = train_cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .expect("preset options are train options");
            given = sub.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine);
        }
        if !given {
            extra.push(item.into());
        }
    }
    let argv: Vec<std::ffi::OsString> = argv.into_iter().chain(extra).collect();
    let matches = cmd.get_matches_from(&argv);
    cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Command::Train(t) = &mut cli.command {
        t.expanded = argv
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
    }
    cli
}

#[derive(Args)]
pub struct EvalArgs {
    /// Model file to evaluate.
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Folder for plots (PR curves, importances, overlays); default: next to the JSON.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Override the model's context-stage skip threshold (to see the trade-off).
    #[arg(long, value_parser = threshold)]
    pub skip_confident: Option<f32>,
    /// Override the model's largest-blob clean-up (to see the trade-off).
    #[arg(long)]
    pub largest_parts: Option<bool>,
    /// Override the model's probability smoothing radius (to see the trade-off).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub smooth: Option<u8>,
    /// Override the model's face-part probability factor (to see the trade-off).
    #[arg(long, value_parser = scale)]
    pub part_scale: Option<f32>,
}

#[derive(Args)]
pub struct GridArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Base settings; each --grid-* list given overrides its setting, the others
    /// keep the base value.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Tree counts to try.
    #[arg(long, value_delimiter = ',', value_parser = usize_in(1, 10_000))]
    pub grid_trees: Vec<usize>,
    /// Depths to try; 0 means no limit.
    #[arg(long, value_delimiter = ',', value_parser = usize_in(0, 256))]
    pub grid_depth: Vec<usize>,
    /// Single-scale HOG cells to try (default: keep the base --hog-cell setting).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(0..=256))]
    pub grid_hog_cell: Vec<u32>,
    /// Leaf budgets per tree to try; 0 means none.
    #[arg(long, value_delimiter = ',', value_parser = usize_in(0, 100_000_000))]
    pub grid_max_leaves: Vec<usize>,
    /// Class-weight powers to try (0 = unweighted, 1 = balanced).
    #[arg(long, value_delimiter = ',', value_parser = power)]
    pub grid_class_weight_power: Vec<f32>,
    /// Context-stage skip thresholds to try; each fold's model is evaluated at all
    /// of them (prediction-time only, no retraining). Default: --skip-confident.
    #[arg(long, value_delimiter = ',', value_parser = threshold)]
    pub grid_skip_confident: Vec<f32>,
    /// Largest-blob clean-up settings to try (false,true), evaluated on each fold's
    /// model without retraining. Default: --largest-parts.
    #[arg(long, value_delimiter = ',')]
    pub grid_largest_parts: Vec<bool>,
    /// Smoothing radii to try, evaluated like --grid-largest-parts. Default: --smooth.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u8).range(0..=32))]
    pub grid_smooth: Vec<u8>,
    /// Face-part probability factors to try, evaluated like --grid-largest-parts.
    /// Default: --part-scale.
    #[arg(long, value_delimiter = ',', value_parser = scale)]
    pub grid_part_scale: Vec<f32>,
    /// Augmented copies per training photo to try. Default: --augment.
    #[arg(long, value_delimiter = ',', value_parser = usize_in(0, 100))]
    pub grid_augment: Vec<usize>,
    /// Also score each fold on its held-out photos shifted ±10%, scaled 0.8–1.2 and
    /// colour-jittered (as photos from other cameras are), and select by the mean of
    /// the clean and perturbed macro-F1.
    #[arg(long)]
    pub perturbed: bool,
    /// Cross-validation folds; photos are split by photo, never pixel by pixel.
    #[arg(long, default_value_t = 3, value_parser = usize_in(2, 100))]
    pub folds: usize,
    /// Refit the best setting on all training photos and write it here.
    #[arg(short, long, default_value = "out/grid-best.ff")]
    pub output: PathBuf,
    /// Write every setting's fold scores and the selection as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Args)]
pub struct SegmentArgs {
    /// Photos to label (PNG, JPEG or WebP; 16×16 to 64 megapixels).
    #[arg(required = true)]
    pub photos: Vec<PathBuf>,
    /// Model file (default: the shipped model, web/models/faceforest.model, built
    /// into this binary, so it works from any folder).
    #[arg(long, short)]
    pub model: Option<PathBuf>,
    /// Folder for the output files (<photo>.labels.png, <photo>.overlay.png).
    #[arg(short, long, default_value = "out/segment")]
    pub output: PathBuf,
    /// Overlay opacity, 0–1.
    #[arg(long, default_value_t = 0.5, value_parser = unit)]
    pub opacity: f32,
    /// Segment the whole picture instead of framing the face (the page's "Segment
    /// the whole picture"). By default the face is found, cropped the way the model
    /// was trained, segmented and pasted back (background elsewhere), like the page.
    #[arg(long, conflicts_with_all = ["face", "face_box"])]
    pub whole: bool,
    /// Which detected face to frame, counting from 1, largest first.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub face: u32,
    /// A face box placed by hand, X,Y,W,H in the photo's pixels (upright, after EXIF
    /// orientation); skips detection. The crop is derived from it as from a detection.
    #[arg(long = "box", value_name = "X,Y,W,H", value_parser = face_box)]
    pub face_box: Option<[f32; 4]>,
    /// Face detector model (default: the built-in BlazeFace short range,
    /// web/models/face_detection_short_range.tflite).
    #[arg(long)]
    pub face_model: Option<PathBuf>,
}

/// `X,Y,W,H`: four finite numbers, W and H positive.
fn face_box(s: &str) -> Result<[f32; 4], String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<f32>()
                .map_err(|_| format!("{p:?} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    match *v.as_slice() {
        [x, y, w, h] if v.iter().all(|c| c.is_finite()) && w > 0.0 && h > 0.0 => Ok([x, y, w, h]),
        [_, _, _, _] => Err(format!("{s}: the numbers must be finite and W, H positive")),
        _ => Err(format!("{s}: give four numbers, X,Y,W,H")),
    }
}

#[derive(Args)]
pub struct InfoArgs {
    /// Model file (default: the built-in shipped model).
    pub model: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct LabelsArgs {
    /// FASSEG folder (holding frontal01, frontal02, multipose01).
    #[arg(long, env = "FASSEG_DIR", default_value = "../shared/fasseg")]
    pub fasseg: PathBuf,
    /// FASSEG subset whose labels are compared.
    #[arg(long, default_value = "frontal02")]
    pub dataset: String,
    /// Write label images of both methods and their differences here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Folder for the .npy feature and label matrices.
    #[arg(short, long, default_value = "bench-out/features")]
    pub output: PathBuf,
}

#[derive(Args)]
pub struct FitNpyArgs {
    /// Folder written by `export`.
    pub dir: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Write test probabilities (float32 .npy, n × 8) here.
    #[arg(long)]
    pub probs: PathBuf,
    /// Write the model here.
    #[arg(long)]
    pub save: Option<PathBuf>,
}

#[derive(Args)]
pub struct ScoreArgs {
    /// Folder written by `export`.
    pub dir: PathBuf,
    /// Probabilities (.npy, n_test × 8 in class order).
    pub probs: PathBuf,
    /// Write the scores as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

// Range checks for every numeric option: a value outside its range (or NaN) is
// refused by clap with the option named, before any work starts.

fn usize_in(lo: u64, hi: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(lo..=hi as u64)
}

fn float_in(s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    // NaN fails both comparisons.
    if v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(format!("{s} is not within {lo}–{hi}"))
    }
}

/// Overlay opacity: 0–1.
fn unit(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 1.0).map(|v| v as f32)
}

/// Bootstrap fraction: above 0, at most 1.
fn fraction(s: &str) -> Result<f64, String> {
    let v = float_in(s, 0.0, 1.0)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{s} is not within 0–1 (above 0)"))
    }
}

/// Class-weight power: 0 (unweighted) to 4.
fn power(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 4.0).map(|v| v as f32)
}

/// Skip threshold: 0–2 (above 1: none skip).
fn threshold(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 2.0).map(|v| v as f32)
}

/// Face-part probability factor: 0–100.
fn scale(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 100.0).map(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every option and argument of every subcommand says what it is for.
    #[test]
    fn every_option_has_help() {
        let cmd = Cli::command();
        let mut missing = Vec::new();
        for arg in cmd.get_arguments() {
            if arg.get_help().is_none() && !["help", "version"].contains(&arg.get_id().as_str()) {
                missing.push(format!("faceforest --{}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
            for arg in sub.get_arguments() {
                if arg.get_help().is_none() && arg.get_id() != "help" {
                    missing.push(format!("{} {}", sub.get_name(), arg.get_id()));
                }
            }
        }
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    fn train_args(args: &[&str]) -> TrainArgs {
        let argv = ["faceforest", "train"].iter().chain(args).map(|s| s.into());
        match parse_from(argv.collect()).command {
            Command::Train(t) => t,
            _ => unreachable!(),
        }
    }

    #[test]
    fn options_given_override_the_presets() {
        let t = train_args(&["--preset", "shipped", "--trees", "2", "--colour", "rgb,hsv"]);
        assert_eq!(t.model.trees, 2);
        assert!(t.model.colour == vec![Colour::Rgb, Colour::Hsv]);
        // the rest is the preset's
        assert_eq!(t.model.size, 128);
        assert_eq!(t.model.max_leaves, Some(3000));
        assert_eq!(t.model.context, vec![9, 25]);
        assert!(t.model.largest_parts);
        assert_eq!(t.expanded.iter().filter(|a| *a == "--trees").count(), 1);
        let plain = train_args(&["--trees", "2"]);
        assert_eq!(plain.model.size, 200, "no preset: the defaults");
        assert!(plain.expanded.is_empty());
    }
}
