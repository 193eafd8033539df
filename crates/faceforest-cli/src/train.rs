use crate::args::TrainArgs;
use crate::progress::bar;
use crate::CliResult;
use faceforest::dataset::Part;
use faceforest::pipeline::train_model;
use std::time::Instant;

pub fn run(a: TrainArgs) -> CliResult {
    let opts = a.model.options();
    if a.print_options {
        // Through a string, as in the model's "options" note: f32 settings print as
        // written (0.95, not 0.949999988 as a json! value would widen them).
        let options: serde_json::Value = serde_json::from_str(&serde_json::to_string(&opts)?)?;
        let v = serde_json::json!({
            "preset": a.preset.map(|p| p.name()),
            "args": a.expanded,
            "options": options,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let photos = a.data.load(Part::Train)?;
    let n_features = opts.features.n_features();
    eprintln!(
        "training on {} photos at S={} ({} pixels, {} features: {}), {} trees, {} context stage(s)",
        photos.len(),
        opts.size,
        photos.len() as u64 * (opts.size as u64).pow(2),
        n_features,
        opts.features.names().join(" "),
        opts.forest.n_trees,
        opts.context_stages
    );
    let pb = bar(opts.total_trees() as u64, "trees");
    let t0 = Instant::now();
    let (mut model, report) = train_model(&photos, &opts, &|| pb.inc(1))?;
    pb.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();
    let command_line = if a.expanded.is_empty() {
        std::env::args().skip(1).collect::<Vec<_>>()
    } else {
        a.expanded.clone()
    };
    model
        .notes
        .push(("trained_with".into(), command_line.join(" ")));
    if let Some(p) = a.preset {
        model.notes.push(("preset".into(), p.name().into()));
    }
    model
        .notes
        .push(("training_photos".into(), a.data.summary(Part::Train)?));
    // A model inherits its training data's terms.
    model
        .notes
        .push(("training_data_terms".into(), a.data.terms()?));
    model
        .notes
        .push(("options".into(), serde_json::to_string(&opts)?));
    let bytes = model.to_bytes();
    if let Some(dir) = a.output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.output, &bytes)?;
    eprintln!(
        "trained in {secs:.1} s: {} nodes, {} leaves, depth {}; model {} bytes ({} gzip) -> {}",
        report.nodes,
        report.leaves,
        report.max_depth,
        bytes.len(),
        crate::info::gzip_len(&bytes),
        a.output.display()
    );
    if let Some(oob) = report.oob_accuracy {
        eprintln!("out-of-bag pixel accuracy (square, all classes): {oob:.4}");
    }
    let names = model.stage_feature_names().pop().unwrap_or_default();
    let mut imp: Vec<(String, f64)> = names
        .into_iter()
        .zip(report.importances.iter().copied())
        .collect();
    imp.sort_by(|x, y| y.1.total_cmp(&x.1));
    eprintln!(
        "importances: {}",
        imp.iter()
            .map(|(n, v)| format!("{n} {v:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if a.eval {
        let dir = a
            .output
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .to_path_buf();
        let stem = a.output.file_stem().unwrap().to_string_lossy();
        crate::eval::evaluate_and_report(
            &a.output,
            model,
            &a.data,
            Some(dir.join(format!("{stem}.report.json"))),
            Some(dir.join(format!("{stem}-plots"))),
            Some(secs),
        )?;
    }
    Ok(())
}
