use crate::args::InfoArgs;
use crate::CliResult;
use faceforest::Model;
use flate2::{write::GzEncoder, Compression};
use serde_json::json;
use std::io::Write;

pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

pub fn run(a: InfoArgs) -> CliResult {
    let (bytes, name) = crate::segment::model_bytes(a.model.as_deref())?;
    let m = Model::from_bytes(&bytes).map_err(|e| format!("{name}: {e}"))?;
    let depths: Vec<usize> = m
        .forests()
        .flat_map(|f| f.trees.iter().map(|t| t.depth()))
        .collect();
    let last = m.forests().last().expect("a model has a forest");
    let names = m.stage_feature_names().pop().unwrap_or_default();
    let leaf_entries: usize = m
        .forests()
        .map(|f| f.leaves.len() / f.n_classes as usize)
        .sum();
    let info = json!({
        "file": name,
        "format_version": faceforest::model::FORMAT_VERSION,
        "bytes": bytes.len(),
        "gzip_bytes": gzip_len(&bytes),
        "size": m.size,
        "features": m.features.names(),
        "stages": 1 + m.context_stages.len(),
        "trees": m.n_trees(),
        "nodes": m.n_nodes(),
        "leaves": m.forests().map(|f| f.n_leaves()).sum::<usize>(),
        "leaf_table_entries": leaf_entries,
        "max_depth": depths.iter().max(),
        "mean_depth": depths.iter().sum::<usize>() as f64 / depths.len() as f64,
        "classes": m.classes.iter().map(|c| &c.name).collect::<Vec<_>>(),
        "notes": m.notes,
        "post": {"part_scale": m.post.part_scale, "smooth": m.post.smooth, "largest_parts": m.post.largest_parts},
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!("model        {name}");
    println!("bytes        {} ({} gzip)", bytes.len(), info["gzip_bytes"]);
    println!("square size  {}", m.size);
    println!(
        "features     {} ({})",
        m.features.n_features(),
        m.features.names().join(" ")
    );
    if !m.context_stages.is_empty() {
        println!(
            "stages       {} (auto-context reads {} probability samples around each pixel; pixels at least {} sure after stage 1 skip it)",
            1 + m.context_stages.len(),
            m.context_stages[0].layout.samples.len(),
            m.context_stages[0].skip_confident
        );
    }
    let p = &m.post;
    println!(
        "clean-up     face parts × {}, {}, {}",
        p.part_scale,
        match p.smooth {
            0 => "no smoothing".to_string(),
            r => format!("{0}×{0} smoothing", 2 * r as u32 + 1),
        },
        if p.largest_parts {
            "one blob per face part"
        } else {
            "every blob kept"
        }
    );
    println!("trees        {}", m.n_trees());
    println!(
        "nodes        {} ({} leaves, {} distinct leaf distributions)",
        m.n_nodes(),
        info["leaves"],
        leaf_entries
    );
    println!(
        "depth        max {} mean {:.1}",
        info["max_depth"],
        info["mean_depth"].as_f64().unwrap_or(0.0)
    );
    let mut imp: Vec<(String, f32)> = names
        .into_iter()
        .zip(last.importances.iter().copied())
        .collect();
    imp.sort_by(|x, y| y.1.total_cmp(&x.1));
    imp.truncate(20);
    println!(
        "importances  {} (last stage, top 20)",
        imp.iter()
            .map(|(n, v)| format!("{n} {v:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (k, v) in &m.notes {
        println!("{k:<12} {v}");
    }
    Ok(())
}
