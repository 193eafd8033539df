//! From labelled photos to a model, and from a model and labelled photos to a report.
//! The CLI, the tests and the benchmarks all go through here.

use crate::classes::{default_class_infos, Class, NUM_CLASSES, NUM_PHOTO_CLASSES};
use crate::error::{Error, Result};
use crate::features::autocontext::ContextLayout;
use crate::features::FeatureConfig;
use crate::forest::train::{train_with_progress, ForestParams, TrainReport, TrainSet};
use crate::forest::{Bins, Forest};
use crate::metrics::{Confusion, PrCurves, Report};
use crate::model::{ContextStage, Model};
use crate::par;
use crate::post::PostProcess;
use crate::prep::augment::{self, Augment};
use crate::prep::labels::LabelMap;
use crate::prep::square::{square_labels, square_photo, unsquare_probs, SquareGeometry};
use crate::segment::Segmenter;
use image::RgbImage;
use ndarray::{concatenate, Array2, Axis};
use serde::{Deserialize, Serialize};

/// A photo with cleaned labels at its own resolution. A label of
/// [`Class::Padding`] on the photo's own pixels means *ignore*: not trained on, not
/// scored (a dataset's unmapped-on-purpose values, or pixels from off a shifted photo).
#[derive(Clone, Debug)]
pub struct Photo {
    pub name: String,
    pub photo: RgbImage,
    pub labels: LabelMap,
    /// How often the forest's bootstrap draws this photo's pixels relative to other
    /// photos' (1: as often; a dataset's weight when several are combined).
    pub weight: f32,
}

/// A photo resized into the square, its labels there and its feature planes.
pub struct Prepared {
    pub geometry: SquareGeometry,
    pub labels: LabelMap,
    pub planes: Array2<f32>,
}

pub fn prepare(photo: &Photo, size: u32, features: &FeatureConfig) -> Prepared {
    let (sq, geometry) = square_photo(&photo.photo, size);
    Prepared {
        labels: square_labels(&photo.labels, &geometry),
        planes: features.compute(&sq),
        geometry,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Side of the square (the seed used 600; 200 matches its reported settings).
    pub size: u32,
    pub features: FeatureConfig,
    pub forest: ForestParams,
    /// Refuse a model whose file would exceed this many bytes.
    pub size_budget: Option<usize>,
    /// Auto-context stages after the first forest (0: the seed's single forest).
    pub context_stages: usize,
    /// Folds (by photo) for the out-of-fold probabilities a context stage learns from.
    pub context_folds: usize,
    /// See [`ContextStage::skip_confident`].
    pub skip_confident: f32,
    /// Augmented copies of the training photos (none by default).
    pub augment: Augment,
    /// See [`Model::post`].
    pub post: PostProcess,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            size: 200,
            features: FeatureConfig::default(),
            forest: ForestParams::default(),
            size_budget: None,
            context_stages: 0,
            context_folds: 3,
            skip_confident: 2.0,
            augment: Augment::default(),
            post: PostProcess::default(),
        }
    }
}

impl TrainOptions {
    /// Trees grown in all, out-of-fold forests included (for progress bars).
    pub fn total_trees(&self) -> usize {
        self.forest.n_trees * (1 + self.context_stages * (self.context_folds + 1))
    }
}

/// Quantised training matrix built from photos.
pub struct TrainingData {
    pub bins: Bins,
    pub rows: Vec<u8>,
    pub labels: Vec<u8>,
    pub n_features: usize,
}

/// Prepares every photo and stacks all square pixels (padding included, as its own
/// class) into one quantised matrix.
pub fn training_data(
    photos: &[Photo],
    size: u32,
    features: &FeatureConfig,
) -> Result<TrainingData> {
    features.validate()?;
    if photos.is_empty() {
        return Err(Error::Data("no training photos".into()));
    }
    let prepared: Vec<Prepared> =
        par::map_range(photos.len(), |i| prepare(&photos[i], size, features));
    let views: Vec<_> = prepared.iter().map(|p| p.planes.view()).collect();
    let planes = concatenate(Axis(1), &views).map_err(|e| Error::Data(e.to_string()))?;
    let labels: Vec<u8> = prepared
        .iter()
        .flat_map(|p| p.labels.data.iter().copied())
        .collect();
    drop(prepared);
    let bins = Bins::fit(planes.view(), 500_000);
    let rows = bins.transform(planes.view());
    Ok(TrainingData {
        n_features: features.n_features(),
        bins,
        rows,
        labels,
    })
}

/// Each square pixel's training weight: its photo's [`Photo::weight`], or 0 where
/// the photo's own label is [`Class::Padding`] (ignored: not trained on). The zero
/// border of the square keeps its padding label and the photo's weight.
pub fn square_weights(photo: &Photo, labels: &LabelMap, g: &SquareGeometry) -> Vec<f32> {
    let s = g.size;
    (0..s * s)
        .map(|i| {
            let (x, y) = (i % s, i / s);
            if g.is_content(x, y) && labels.data[i as usize] == Class::Padding as u8 {
                0.0
            } else {
                photo.weight
            }
        })
        .collect()
}

/// `None` when every weight is the same (the unweighted bootstrap, as before).
fn nonuniform(w: Vec<f32>) -> Option<Vec<f32>> {
    let first = *w.first()?;
    (!w.iter().all(|&x| x == first)).then_some(w)
}

fn fit_forest(
    rows: &[u8],
    labels: &[u8],
    weights: Option<&[f32]>,
    nf: usize,
    bins: Bins,
    params: &ForestParams,
    tree_done: &(dyn Fn() + Sync),
) -> Result<(Forest, Vec<f64>, Option<f64>)> {
    let set = TrainSet {
        rows,
        labels,
        n_features: nf,
        n_classes: NUM_CLASSES,
        weights,
    };
    let trained = train_with_progress(&set, params, tree_done)?;
    Ok((
        Forest::from_trained(&trained.trees, bins, NUM_CLASSES, &trained.importances),
        trained.importances,
        trained.oob_accuracy,
    ))
}

pub fn train_model(
    photos: &[Photo],
    opts: &TrainOptions,
    tree_done: &(dyn Fn() + Sync),
) -> Result<(Model, TrainReport)> {
    if !crate::model::SIZE_RANGE.contains(&opts.size) {
        return Err(Error::InvalidConfig(format!(
            "square size {} outside {:?}",
            opts.size,
            crate::model::SIZE_RANGE
        )));
    }
    opts.features.validate()?;
    if photos.is_empty() {
        return Err(Error::Data("no training photos".into()));
    }
    if opts.context_stages > 0 && (opts.context_folds < 2 || opts.context_folds > photos.len()) {
        return Err(Error::InvalidConfig(format!(
            "{} context folds for {} photos",
            opts.context_folds,
            photos.len()
        )));
    }
    let px = (opts.size as usize).pow(2);
    // Augmented copies follow their original into the same context fold, so no
    // out-of-fold probability comes from a forest that saw a twin of the photo.
    let copies = opts.augment.copies;
    let original = |j: usize| j / (copies + 1);
    let photos: Vec<Photo> = par::map_range(photos.len() * (copies + 1), |j| {
        let (p, copy) = (&photos[original(j)], j % (copies + 1));
        if copy == 0 {
            return p.clone();
        }
        let (w, jit) = opts.augment.draw(opts.forest.seed, original(j), copy - 1);
        let (mut photo, labels) = augment::warp(&p.photo, &p.labels, &w, None);
        augment::jitter(&mut photo, &jit);
        Photo {
            name: format!("{}~{copy}", p.name),
            photo,
            labels,
            weight: p.weight,
        }
    });
    let photos = &photos[..];
    if photos
        .iter()
        .any(|p| !(p.weight >= 0.0 && p.weight.is_finite()))
    {
        return Err(Error::InvalidConfig(
            "a photo's weight is negative or not a number".into(),
        ));
    }
    let prepared: Vec<Prepared> = par::map_range(photos.len(), |i| {
        prepare(&photos[i], opts.size, &opts.features)
    });
    let labels: Vec<u8> = prepared
        .iter()
        .flat_map(|p| p.labels.data.iter().copied())
        .collect();
    let weights: Option<Vec<f32>> = nonuniform(
        prepared
            .iter()
            .zip(photos)
            .flat_map(|(p, ph)| square_weights(ph, &p.labels, &p.geometry))
            .collect(),
    );
    let views: Vec<_> = prepared.iter().map(|p| p.planes.view()).collect();
    let base = concatenate(Axis(1), &views).map_err(|e| Error::Data(e.to_string()))?;
    drop(views);
    drop(prepared);
    let layout = ContextLayout::ring(opts.size);
    let mut stages: Vec<Forest> = Vec::new();
    let mut oof: Option<Vec<f32>> = None;
    let (mut importances, mut oob_accuracy) = (vec![], None);
    for stage in 0..=opts.context_stages {
        let planes = match &oof {
            None => base.clone(),
            Some(probs) => {
                let ctx: Vec<Array2<f32>> = par::map_range(photos.len(), |i| {
                    layout.planes(
                        &probs[i * px * NUM_CLASSES..(i + 1) * px * NUM_CLASSES],
                        opts.size,
                    )
                });
                let ctx_views: Vec<_> = ctx.iter().map(|c| c.view()).collect();
                let ctx =
                    concatenate(Axis(1), &ctx_views).map_err(|e| Error::Data(e.to_string()))?;
                concatenate(Axis(0), &[base.view(), ctx.view()])
                    .map_err(|e| Error::Data(e.to_string()))?
            }
        };
        let nf = planes.nrows();
        let mut bins = Bins::fit(planes.view(), 500_000);
        // Context features are probabilities: even bins over 0–1.
        for e in bins.edges.iter_mut().skip(base.nrows()) {
            *e = Bins::unit_interval();
        }
        let rows = bins.transform(planes.view());
        drop(planes);
        let (forest, imp, oob) = fit_forest(
            &rows,
            &labels,
            weights.as_deref(),
            nf,
            bins.clone(),
            &opts.forest,
            tree_done,
        )?;
        (importances, oob_accuracy) = (imp, oob);
        stages.push(forest);
        if stage < opts.context_stages {
            // Out-of-fold probabilities: each photo predicted by a forest that never
            // saw it, so the next stage learns from probabilities as noisy as at test time.
            let order = fold_order(
                photos.len() / (copies + 1),
                opts.forest.seed.wrapping_add(stage as u64 + 1),
            );
            let mut probs = vec![0f32; photos.len() * px * NUM_CLASSES];
            for f in 0..opts.context_folds {
                let held_originals: Vec<usize> = order
                    .iter()
                    .enumerate()
                    .filter(|(p, _)| p % opts.context_folds == f)
                    .map(|(_, &i)| i)
                    .collect();
                let held: Vec<usize> = (0..photos.len())
                    .filter(|&j| held_originals.contains(&original(j)))
                    .collect();
                let (mut r, mut l, mut w) = (Vec::new(), Vec::new(), Vec::new());
                for i in (0..photos.len()).filter(|i| !held.contains(i)) {
                    r.extend_from_slice(&rows[i * px * nf..(i + 1) * px * nf]);
                    l.extend_from_slice(&labels[i * px..(i + 1) * px]);
                    if let Some(ws) = &weights {
                        w.extend_from_slice(&ws[i * px..(i + 1) * px]);
                    }
                }
                let w = weights.as_ref().and_then(|_| nonuniform(w));
                let (fold_forest, _, _) = fit_forest(
                    &r,
                    &l,
                    w.as_deref(),
                    nf,
                    bins.clone(),
                    &opts.forest,
                    tree_done,
                )?;
                for &i in &held {
                    let p = fold_forest.predict_binned(&rows[i * px * nf..(i + 1) * px * nf]);
                    probs[i * px * NUM_CLASSES..(i + 1) * px * NUM_CLASSES].copy_from_slice(&p);
                }
            }
            oof = Some(probs);
        }
    }
    let forest = stages.remove(0);
    let model = Model {
        classes: default_class_infos(),
        size: opts.size,
        features: opts.features.clone(),
        forest,
        context_stages: stages
            .into_iter()
            .map(|forest| ContextStage {
                layout: layout.clone(),
                forest,
                skip_confident: opts.skip_confident,
            })
            .collect(),
        notes: vec![],
        post: opts.post,
    };
    model.validate()?;
    if let Some(budget) = opts.size_budget {
        let actual = model.to_bytes().len();
        if actual > budget {
            return Err(Error::OverBudget { actual, budget });
        }
    }
    let report = TrainReport {
        rows: labels.len(),
        nodes: model.n_nodes(),
        leaves: model.forests().map(|f| f.n_leaves()).sum(),
        max_depth: model.forests().map(|f| f.max_depth()).max().unwrap_or(0),
        importances,
        oob_accuracy,
    };
    Ok((model, report))
}

/// Evaluation in three views: `honest` (the photo's own pixels, seven classes),
/// `honest6` (the same with both eyes one class, to compare with six-class parsers)
/// and `seed` (the padded square, background and padding merged into `nc`, as the
/// seed's post measured).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Evaluation {
    pub honest: Report,
    pub honest6: Report,
    pub seed: Report,
    pub per_photo: Vec<PhotoScore>,
    #[serde(skip)]
    pub pr: Option<PrCurves>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PhotoScore {
    pub name: String,
    pub honest_accuracy: f64,
}

pub const HONEST_NAMES: [&str; 7] = [
    "background",
    "skin",
    "hair",
    "left_eye",
    "right_eye",
    "nose",
    "mouth",
];
pub const HONEST6_NAMES: [&str; 6] = ["background", "skin", "hair", "eyes", "nose", "mouth"];
pub const SEED_NAMES: [&str; 7] = [
    "nc",
    "skin",
    "hair",
    "left_eye",
    "right_eye",
    "nose",
    "mouth",
];

/// A class in the six-class space (both eyes one class), as `HONEST6_NAMES` orders it.
pub fn six(c: u8) -> usize {
    match c {
        0..=2 => c as usize,
        3 | 4 => 3,
        c => c as usize - 1,
    }
}

fn seed_class(c: u8) -> usize {
    if c == Class::Padding as u8 {
        0
    } else {
        c as usize
    }
}

/// Everything one photo contributes to an evaluation.
pub struct PhotoResult {
    pub honest: Confusion,
    pub honest6: Confusion,
    pub seed: Confusion,
    /// Predicted labels at the photo's resolution.
    pub labels: Vec<u8>,
    pub probs: Vec<f32>,
}

pub fn evaluate_photo(seg: &Segmenter, p: &Photo) -> PhotoResult {
    let (probs, g) = seg.square_probs(&p.photo);
    evaluate_square_probs(p, &probs, &g)
}

/// Scores square-space probabilities (`S*S` rows of [`NUM_CLASSES`]) of one photo,
/// whoever produced them (our forest, or scikit-learn in the side-by-side bench).
pub fn evaluate_square_probs(p: &Photo, probs: &[f32], g: &SquareGeometry) -> PhotoResult {
    let truth_sq = square_labels(&p.labels, g);
    let mut seed = Confusion::new(SEED_NAMES.len());
    let s = g.size as usize;
    for (i, &t) in truth_sq.data.iter().enumerate() {
        if t == Class::Padding as u8 && g.is_content((i % s) as u32, (i / s) as u32) {
            continue; // ignored on the photo: not scored
        }
        let pred =
            crate::forest::train::argmax(&probs[i * NUM_CLASSES..(i + 1) * NUM_CLASSES]) as u8;
        seed.add(seed_class(t), seed_class(pred));
    }
    let (labels, photo_probs) = unsquare_probs(probs, g, true);
    // Only photo pixels count: ignored pixels, and what a shifted photo took from
    // outside itself, are labelled padding.
    let (truth, pred): (Vec<u8>, Vec<u8>) = p
        .labels
        .data
        .iter()
        .zip(&labels)
        .filter(|(&t, _)| augment::is_photo_class(t))
        .unzip();
    let mut honest = Confusion::new(NUM_PHOTO_CLASSES);
    honest.add_all(&truth, &pred, |c| c as usize);
    let mut honest6 = Confusion::new(6);
    honest6.add_all(&truth, &pred, six);
    PhotoResult {
        honest,
        honest6,
        seed,
        labels,
        probs: photo_probs.unwrap(),
    }
}

pub fn evaluate(seg: &Segmenter, photos: &[Photo], photo_done: &(dyn Fn() + Sync)) -> Evaluation {
    evaluate_with(photos, |i| {
        let r = evaluate_photo(seg, &photos[i]);
        photo_done();
        r
    })
}

/// Combines per-photo results (computed in parallel by `result_of`) into reports.
pub fn evaluate_with(
    photos: &[Photo],
    result_of: impl Fn(usize) -> PhotoResult + Sync + Send,
) -> Evaluation {
    let results: Vec<(Confusion, Confusion, Confusion, PrCurves)> =
        par::map_range(photos.len(), |i| {
            let r = result_of(i);
            let mut pr = PrCurves::new(&HONEST_NAMES);
            pr.add(&r.probs, &photos[i].labels.data);
            (r.honest, r.honest6, r.seed, pr)
        });
    let mut honest = Confusion::new(7);
    let mut honest6 = Confusion::new(6);
    let mut seed = Confusion::new(7);
    let mut pr = PrCurves::new(&HONEST_NAMES);
    let mut per_photo = Vec::new();
    for ((h, h6, s, p), photo) in results.into_iter().zip(photos) {
        per_photo.push(PhotoScore {
            name: photo.name.clone(),
            honest_accuracy: h.accuracy(),
        });
        honest.merge(&h);
        honest6.merge(&h6);
        seed.merge(&s);
        pr.merge(&p);
    }
    Evaluation {
        honest: Report::from_confusion(&honest, &HONEST_NAMES),
        honest6: Report::from_confusion(&honest6, &HONEST6_NAMES),
        seed: Report::from_confusion(&seed, &SEED_NAMES),
        per_photo,
        pr: Some(pr),
    }
}

/// K-fold cross-validation split by photo (never by pixel): returns each fold's
/// honest evaluation. Folds are a deterministic shuffle of the photos by `seed`.
pub fn cross_validate(
    photos: &[Photo],
    opts: &TrainOptions,
    folds: usize,
    seed: u64,
    tree_done: &(dyn Fn() + Sync),
) -> Result<Vec<Evaluation>> {
    let at = PredictSettings {
        skip_confident: opts.skip_confident,
        post: opts.post,
    };
    let mut out = cross_validate_variants(photos, opts, folds, seed, &[at], tree_done)?;
    Ok(out.remove(0))
}

/// The settings a trained model can change without retraining.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PredictSettings {
    /// See [`ContextStage::skip_confident`].
    pub skip_confident: f32,
    /// See [`Model::post`].
    pub post: PostProcess,
}

impl PredictSettings {
    pub fn apply(&self, model: &mut Model) {
        model
            .context_stages
            .iter_mut()
            .for_each(|st| st.skip_confident = self.skip_confident);
        model.post = self.post;
    }
}

/// [`cross_validate`] with each fold's model evaluated at every one of `variants`
/// (no retraining): `[variant][fold]`.
pub fn cross_validate_variants(
    photos: &[Photo],
    opts: &TrainOptions,
    folds: usize,
    seed: u64,
    variants: &[PredictSettings],
    tree_done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<Evaluation>>> {
    let out = cross_validate_robust(photos, opts, folds, seed, variants, false, tree_done)?;
    Ok(out
        .into_iter()
        .map(|v| v.into_iter().map(|(e, _)| e).collect())
        .collect())
}

/// One fold's evaluation on its held-out photos as they are and, if asked, perturbed.
pub type RobustScore = (Evaluation, Option<Evaluation>);

/// [`cross_validate_variants`], each fold also scored, when `robust`, on its held-out
/// photos [`perturbed`] in position, scale and colour (seeded by the fold): how a
/// setting copes with photos that are not framed and lit like FASSEG's.
/// `[variant][fold]` of (clean, perturbed).
pub fn cross_validate_robust(
    photos: &[Photo],
    opts: &TrainOptions,
    folds: usize,
    seed: u64,
    variants: &[PredictSettings],
    robust: bool,
    tree_done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<RobustScore>>> {
    if folds < 2 || folds > photos.len() {
        return Err(Error::InvalidConfig(format!(
            "{folds} folds for {} photos",
            photos.len()
        )));
    }
    let order = fold_order(photos.len(), seed);
    let mut out = vec![Vec::new(); variants.len()];
    for f in 0..folds {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (pos, &i) in order.iter().enumerate() {
            if pos % folds == f {
                test.push(photos[i].clone());
            } else {
                train.push(photos[i].clone());
            }
        }
        let (model, _) = train_model(&train, opts, tree_done)?;
        let moved = robust.then(|| perturbed(&test, 0.1, (0.8, 1.2), true, seed ^ f as u64));
        for (v, out) in variants.iter().zip(&mut out) {
            let mut m = model.clone();
            v.apply(&mut m);
            let seg = Segmenter::new(m)?;
            let clean = evaluate(&seg, &test, &|| {});
            let moved = moved.as_ref().map(|m| evaluate(&seg, m, &|| {}));
            out.push((clean, moved));
        }
    }
    Ok(out)
}

/// The robustness check: every photo shifted by up to ±`shift` of its size and
/// scaled by `scale` (seeded, uniform); pixels that came from outside the photo are
/// not scored. With `colour`, each photo's brightness, contrast and channel gains
/// also change (±20 levels, ±20%, ±8%: the augmentation's ranges), as between
/// cameras and rooms.
pub fn perturbed(
    photos: &[Photo],
    shift: f32,
    scale: (f32, f32),
    colour: bool,
    seed: u64,
) -> Vec<Photo> {
    let draw = Augment {
        copies: 1,
        shift,
        scale,
        angle: 0.0,
        mirror: false,
        ..Augment::default()
    };
    par::map_range(photos.len(), |i| {
        let p = &photos[i];
        let (w, j) = draw.draw(seed, i, 1);
        let (mut photo, labels) = augment::warp(&p.photo, &p.labels, &w, Some(Class::Padding));
        if colour {
            augment::jitter(&mut photo, &j);
        }
        Photo {
            name: format!(
                "{} (shift {:+.2},{:+.2} scale {:.2})",
                p.name, w.shift_x, w.shift_y, w.scale
            ),
            photo,
            labels,
            weight: p.weight,
        }
    })
}

pub fn fold_order(n: usize, seed: u64) -> Vec<usize> {
    use rand_xoshiro::rand_core::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        v.swap(i, j);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::face;

    #[test]
    fn colour_perturbation_changes_pixels_not_labels() {
        let photos: Vec<Photo> = (0..3).map(|s| face(40, 52, s)).collect();
        let plain = perturbed(&photos, 0.1, (0.8, 1.2), false, 7);
        let coloured = perturbed(&photos, 0.1, (0.8, 1.2), true, 7);
        for (a, b) in plain.iter().zip(&coloured) {
            assert_eq!(a.labels.data, b.labels.data, "same warp");
            assert_ne!(a.photo, b.photo, "colours changed");
        }
        let again = perturbed(&photos, 0.1, (0.8, 1.2), true, 7);
        assert!(again.iter().zip(&coloured).all(|(a, b)| a.photo == b.photo));
    }

    #[test]
    fn robust_cross_validation_scores_every_variant_and_fold_twice() {
        let photos: Vec<Photo> = (0..6).map(|s| face(40, 52, s)).collect();
        let opts = TrainOptions {
            size: 32,
            forest: ForestParams {
                n_trees: 2,
                max_leaves: Some(40),
                ..Default::default()
            },
            ..Default::default()
        };
        let variants = [
            PredictSettings {
                skip_confident: 2.0,
                post: PostProcess::default(),
            },
            PredictSettings {
                skip_confident: 2.0,
                post: PostProcess {
                    largest_parts: true,
                    smooth: 1,
                    part_scale: 0.7,
                },
            },
        ];
        let out = cross_validate_robust(&photos, &opts, 3, 1, &variants, true, &|| {}).unwrap();
        assert_eq!(out.len(), 2);
        for v in &out {
            assert_eq!(v.len(), 3);
            for (clean, moved) in v {
                let moved = moved.as_ref().expect("perturbed photos were scored");
                assert!(clean.honest.accuracy > 0.0 && moved.honest.accuracy > 0.0);
            }
        }
        let plain = cross_validate_robust(&photos, &opts, 3, 1, &variants, false, &|| {}).unwrap();
        assert!(plain.iter().flatten().all(|(_, m)| m.is_none()));
        // Same folds, same models: the clean scores agree.
        assert_eq!(plain[1][2].0.honest.accuracy, out[1][2].0.honest.accuracy);
    }

    /// Synthetic faces whose top-left corner (background) is labelled `corner`.
    fn with_corner(corner: Class) -> Vec<Photo> {
        (0..8)
            .map(|seed| {
                let mut p = face(40, 52, seed);
                for y in 0..14 {
                    for x in 0..12 {
                        p.labels.data[(y * 40 + x) as usize] = corner as u8;
                    }
                }
                p
            })
            .collect()
    }

    fn corner_share(model: Model, class: Class) -> f64 {
        let seg = Segmenter::new(model).unwrap();
        let (mut hit, mut n) = (0, 0);
        for seed in 100..104 {
            let p = face(40, 52, seed);
            let r = evaluate_photo(&seg, &p);
            for y in 0..14 {
                for x in 0..12 {
                    hit += (r.labels[y * 40 + x] == class as u8) as usize;
                    n += 1;
                }
            }
        }
        hit as f64 / n as f64
    }

    #[test]
    fn ignored_pixels_are_not_trained_on() {
        let opts = TrainOptions {
            size: 32,
            forest: ForestParams {
                n_trees: 5,
                ..Default::default()
            },
            ..Default::default()
        };
        // Trained on, a wrongly labelled corner is learnt (so the test can fail)...
        let (wrong, _) = train_model(&with_corner(Class::Mouth), &opts, &|| {}).unwrap();
        let learnt = corner_share(wrong, Class::Mouth);
        assert!(learnt > 0.8, "the wrong labels were learnt: {learnt}");
        // ...ignored, the same corner is read from what the rest of the photos teach.
        let (ignored, _) = train_model(&with_corner(Class::Padding), &opts, &|| {}).unwrap();
        assert!(corner_share(ignored.clone(), Class::Mouth) < 0.05);
        assert!(corner_share(ignored, Class::Background) > 0.9);
    }

    #[test]
    fn ignored_pixels_are_not_scored() {
        let photos = with_corner(Class::Padding);
        let plain: Vec<Photo> = (0..8).map(|s| face(40, 52, s)).collect();
        let (model, _) = train_model(
            &plain,
            &TrainOptions {
                size: 32,
                forest: ForestParams {
                    n_trees: 2,
                    ..Default::default()
                },
                ..Default::default()
            },
            &|| {},
        )
        .unwrap();
        let seg = Segmenter::new(model).unwrap();
        let (a, b) = (
            evaluate_photo(&seg, &photos[0]),
            evaluate_photo(&seg, &plain[0]),
        );
        assert_eq!(a.honest.total(), b.honest.total() - 12 * 14);
        assert!(
            a.seed.total() < b.seed.total(),
            "the square view skips them too"
        );
        assert_eq!(b.seed.total(), 32 * 32);
    }

    #[test]
    fn photo_weights_change_the_bootstrap_and_zero_weight_photos_are_not_learnt() {
        let mut photos = with_corner(Class::Mouth);
        photos.extend((0..8).map(|s| face(40, 52, 200 + s)));
        let opts = TrainOptions {
            size: 32,
            forest: ForestParams {
                n_trees: 5,
                ..Default::default()
            },
            ..Default::default()
        };
        let share = |w: f32| {
            let mut ps = photos.clone();
            ps[..8].iter_mut().for_each(|p| p.weight = w);
            let (m, _) = train_model(&ps, &opts, &|| {}).unwrap();
            corner_share(m, Class::Mouth)
        };
        let (heavy, equal, none) = (share(20.0), share(1.0), share(0.0));
        eprintln!("corner as mouth: weight 20 {heavy}, 1 {equal}, 0 {none}");
        assert!(
            heavy > equal + 0.1,
            "weighted up, more of the corner is mouth: {heavy} vs {equal}"
        );
        assert!(none < 0.05, "weight 0: never drawn: {none}");
        let mut bad = photos.clone();
        bad[0].weight = f32::NAN;
        assert!(train_model(&bad, &opts, &|| {})
            .unwrap_err()
            .to_string()
            .contains("weight"));
    }
}
