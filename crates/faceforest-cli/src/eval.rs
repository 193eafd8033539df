use crate::args::{DataArgs, EvalArgs};
use crate::progress::bar;
use crate::CliResult;
use faceforest::dataset::Part;
use faceforest::pipeline::{evaluate, perturbed, Evaluation};
use faceforest::{Model, Segmenter};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn run(a: EvalArgs) -> CliResult {
    let bytes = crate::segment::read_regular(&a.model)
        .map_err(|e| format!("{}: {e}", a.model.display()))?;
    let mut model = Model::from_bytes(&bytes).map_err(|e| format!("{}: {e}", a.model.display()))?;
    if let Some(skip) = a.skip_confident {
        // To see the trade-off only: settings are chosen by grid-search, not on test photos.
        model
            .context_stages
            .iter_mut()
            .for_each(|st| st.skip_confident = skip);
    }
    if let Some(on) = a.largest_parts {
        model.post.largest_parts = on;
    }
    if let Some(r) = a.smooth {
        model.post.smooth = r;
    }
    if let Some(f) = a.part_scale {
        model.post.part_scale = f;
    }
    let plots = a
        .plots
        .clone()
        .or_else(|| a.json.as_ref().map(|j| j.with_extension("plots")));
    evaluate_and_report(&a.model, model, &a.data, a.json, plots, None)
}

pub fn print_evaluation(e: &Evaluation) {
    println!(
        "== honest: the photos' own pixels, 7 classes (headline) ==\n{}",
        e.honest.table()
    );
    println!(
        "== honest, six classes (both eyes as one) ==\n{}",
        e.honest6.table()
    );
    println!(
        "== seed: padded square, background+padding as nc (as the seed's post) ==\n{}",
        e.seed.table()
    );
    println!(
        "honest accuracy {:.4}  macro-F1 {:.4} | six-class macro-F1 {:.4} | seed accuracy {:.4} macro-F1 {:.4}",
        e.honest.accuracy, e.honest.macro_f1, e.honest6.macro_f1, e.seed.accuracy, e.seed.macro_f1
    );
}

pub fn evaluate_and_report(
    model_path: &Path,
    model: Model,
    data: &DataArgs,
    json_path: Option<PathBuf>,
    plots: Option<PathBuf>,
    train_seconds: Option<f64>,
) -> CliResult {
    let photos = data.load(Part::Test)?;
    let seg = Segmenter::new(model)?;
    let pb = bar(photos.len() as u64, "evaluating");
    let t0 = std::time::Instant::now();
    let e = evaluate(&seg, &photos, &|| pb.inc(1));
    pb.finish_and_clear();
    let eval_secs = t0.elapsed().as_secs_f64();
    print_evaluation(&e);
    // Robustness: the same photos shifted up to ±10% and scaled 0.8–1.2 (seeded).
    let moved = perturbed(&photos, 0.1, (0.8, 1.2), false, 0);
    let r = evaluate(&seg, &moved, &|| {});
    println!(
        "robustness (test photos shifted ±10%, scaled 0.8–1.2): honest accuracy {:.4} ({:+.2} points), macro-F1 {:.4}",
        r.honest.accuracy,
        (r.honest.accuracy - e.honest.accuracy) * 100.0,
        r.honest.macro_f1
    );
    let curves = e.pr.as_ref().map(|p| p.curves()).unwrap_or_default();
    if let Some(path) = &json_path {
        let bytes = seg.model().to_bytes();
        let report = json!({
            "model": model_path.display().to_string(),
            "test_photos": data.summary(Part::Test)?,
            "n_photos": photos.len(),
            "size": seg.model().size,
            "features": seg.model().features,
            "stages": 1 + seg.model().context_stages.len(),
            "trees": seg.model().n_trees(),
            "nodes": seg.model().n_nodes(),
            "model_bytes": bytes.len(),
            "model_gzip_bytes": crate::info::gzip_len(&bytes),
            "train_seconds": train_seconds,
            "eval_seconds": eval_secs,
            "honest": e.honest,
            "honest6": e.honest6,
            "seed": e.seed,
            "average_precision": curves.iter().map(|c| (c.name.clone(), c.average_precision)).collect::<std::collections::BTreeMap<_, _>>(),
            "per_photo": e.per_photo,
            "robustness": {"shift": 0.1, "scale": [0.8, 1.2], "seed": 0, "honest": r.honest, "honest6": r.honest6},
        });
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        eprintln!("report -> {}", path.display());
    }
    if let Some(dir) = plots {
        std::fs::create_dir_all(&dir)?;
        crate::plots::pr_curves(&curves, &dir.join("pr_curves.svg"))?;
        crate::plots::importances(
            &seg.model().stage_feature_names().pop().unwrap_or_default(),
            &seg.model().forests().last().unwrap().importances,
            &dir.join("importances.svg"),
        )?;
        crate::plots::overlay_grid(&seg, &photos, 6, &dir.join("overlays.png"))?;
        eprintln!("plots -> {}", dir.display());
    }
    Ok(())
}
