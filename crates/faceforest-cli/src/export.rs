//! The scikit-learn side-by-side: export identical feature matrices, fit our forest
//! on them, and score anyone's probabilities through the same honest evaluation.

use crate::args::{ExportArgs, FitNpyArgs, ScoreArgs};
use crate::CliResult;
use faceforest::classes::{default_class_infos, NUM_CLASSES};
use faceforest::dataset::fasseg;
use faceforest::forest::train::{train, TrainSet};
use faceforest::forest::{Bins, Forest};
use faceforest::pipeline::{evaluate_square_probs, evaluate_with, prepare};
use faceforest::prep::square::SquareGeometry;
use faceforest::{FeatureConfig, Model};
use ndarray::{concatenate, Array1, Array2, Axis};
use ndarray_npy::{read_npy, write_npy};
use serde_json::json;
use std::time::Instant;

pub fn run(a: ExportArgs) -> CliResult {
    let opts = a.model.options();
    let cleaning = a
        .data
        .labels
        .unwrap_or(crate::args::Cleaning::Nearest)
        .into();
    std::fs::create_dir_all(&a.output)?;
    for (split, photos) in [
        ("train", fasseg::standard_train(&a.data.fasseg, cleaning)?),
        ("test", fasseg::standard_test(&a.data.fasseg, cleaning)?),
    ] {
        let prepared: Vec<_> = photos
            .iter()
            .map(|p| prepare(p, opts.size, &opts.features))
            .collect();
        let views: Vec<_> = prepared.iter().map(|p| p.planes.view()).collect();
        let x = concatenate(Axis(1), &views)?
            .reversed_axes()
            .as_standard_layout()
            .to_owned();
        let y: Array1<u8> = prepared
            .iter()
            .flat_map(|p| p.labels.data.iter().copied())
            .collect();
        write_npy(a.output.join(format!("X_{split}.npy")), &x)?;
        write_npy(a.output.join(format!("y_{split}.npy")), &y)?;
        eprintln!("{split}: {} photos, X {:?}", photos.len(), x.dim());
    }
    let meta = json!({
        "size": opts.size,
        "features": opts.features,
        "feature_names": opts.features.names(),
        "fasseg": a.data.fasseg.display().to_string(),
        "classes": faceforest::classes::CLASS_NAMES,
    });
    std::fs::write(
        a.output.join("meta.json"),
        serde_json::to_string_pretty(&meta)?,
    )?;
    Ok(())
}

pub fn fit_npy(a: FitNpyArgs) -> CliResult {
    let x: Array2<f32> = read_npy(a.dir.join("X_train.npy"))?;
    let y: Array1<u8> = read_npy(a.dir.join("y_train.npy"))?;
    let xt: Array2<f32> = read_npy(a.dir.join("X_test.npy"))?;
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.dir.join("meta.json"))?)?;
    let size = meta["size"].as_u64().ok_or("meta.json has no size")? as u32;
    let features: FeatureConfig = serde_json::from_value(meta["features"].clone())?;
    let params = a.model.options().forest;
    let t0 = Instant::now();
    let planes = x.t();
    let bins = Bins::fit(planes, 500_000);
    let rows = bins.transform(planes);
    let labels = y.to_vec();
    let set = TrainSet {
        rows: &rows,
        labels: &labels,
        n_features: x.ncols(),
        n_classes: NUM_CLASSES,
        weights: None,
    };
    let trained = train(&set, &params)?;
    let forest = Forest::from_trained(&trained.trees, bins, NUM_CLASSES, &trained.importances);
    let fit_s = t0.elapsed().as_secs_f64();
    drop(trained);
    let model = Model {
        classes: default_class_infos(),
        size,
        features,
        forest,
        context_stages: vec![],
        notes: vec![],
        post: Default::default(),
    };
    let bytes = model.to_bytes();
    let per_image = (size as usize).pow(2);
    let n_images = xt.nrows() / per_image;
    // Warm once, then time the prediction of every test image, one image at a time
    // (features given), as an application would call it.
    let _ = model
        .forest
        .predict_planes(xt.slice(ndarray::s![..per_image, ..]).t());
    let t1 = Instant::now();
    let mut probs = Vec::with_capacity(xt.nrows() * NUM_CLASSES);
    for i in 0..n_images {
        let img = xt.slice(ndarray::s![i * per_image..(i + 1) * per_image, ..]);
        probs.extend(model.forest.predict_planes(img.t()));
    }
    let predict_s = t1.elapsed().as_secs_f64();
    write_npy(
        &a.probs,
        &Array2::from_shape_vec((xt.nrows(), NUM_CLASSES), probs)?,
    )?;
    if let Some(p) = &a.save {
        std::fs::write(p, &bytes)?;
    }
    println!(
        "{}",
        json!({
            "fit_seconds": fit_s,
            "predict_seconds_per_image": predict_s / n_images.max(1) as f64,
            "model_bytes": bytes.len(),
            "model_gzip_bytes": crate::info::gzip_len(&bytes),
            "nodes": model.forest.n_nodes(),
            "threads": rayon::current_num_threads(),
        })
    );
    Ok(())
}

pub fn score_probs(a: ScoreArgs) -> CliResult {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.dir.join("meta.json"))?)?;
    let size = meta["size"].as_u64().ok_or("meta.json has no size")? as u32;
    let fasseg_dir =
        std::path::PathBuf::from(meta["fasseg"].as_str().unwrap_or("../shared/fasseg"));
    let photos = fasseg::standard_test(&fasseg_dir, Default::default())?;
    let probs: Array2<f32> = read_npy(&a.probs)?;
    let per_image = (size as usize).pow(2);
    if probs.nrows() != photos.len() * per_image || probs.ncols() != NUM_CLASSES {
        return Err(format!(
            "probabilities are {:?}, expected ({}, {NUM_CLASSES})",
            probs.dim(),
            photos.len() * per_image
        )
        .into());
    }
    let flat = probs.as_standard_layout();
    let flat = flat.as_slice().unwrap();
    let e = evaluate_with(&photos, |i| {
        let g = SquareGeometry::new(photos[i].photo.width(), photos[i].photo.height(), size);
        let chunk = &flat[i * per_image * NUM_CLASSES..(i + 1) * per_image * NUM_CLASSES];
        evaluate_square_probs(&photos[i], chunk, &g)
    });
    let out = json!({
        "honest": {"accuracy": e.honest.accuracy, "macro_f1": e.honest.macro_f1},
        "seed": {"accuracy": e.seed.accuracy, "macro_f1": e.seed.macro_f1},
        "honest_f1": e.honest.classes.iter().map(|c| (c.name.clone(), c.f1)).collect::<std::collections::BTreeMap<_, _>>(),
    });
    println!("{out}");
    if let Some(j) = a.json {
        std::fs::write(
            j,
            serde_json::to_string_pretty(
                &json!({"honest": e.honest, "honest6": e.honest6, "seed": e.seed}),
            )?,
        )?;
    }
    Ok(())
}
