use crate::args::GridArgs;
use crate::progress::bar;
use crate::CliResult;
use faceforest::dataset::Part;
use faceforest::features::HogConfig;
use faceforest::forest::ClassWeight;
use faceforest::pipeline::{cross_validate_robust, train_model, PredictSettings};
use faceforest::post::PostProcess;
use serde_json::json;

fn mean_std(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0).max(1.0);
    (m, var.sqrt())
}

pub fn run(a: GridArgs) -> CliResult {
    let photos = a.data.load(Part::Train)?;
    let base = a.model.options();
    let mut grid = Vec::new();
    // 0 stands for "the base features' HOG" when no HOG grid is given.
    let hog_cells = if a.grid_hog_cell.is_empty() {
        vec![u32::MAX]
    } else {
        a.grid_hog_cell.clone()
    };
    fn or<T: Clone>(grid: &[T], base: T) -> Vec<T> {
        if grid.is_empty() {
            vec![base]
        } else {
            grid.to_vec()
        }
    }
    let trees = or(&a.grid_trees, base.forest.n_trees);
    let depths = or(&a.grid_depth, base.forest.max_depth.unwrap_or(0));
    let leaves = or(&a.grid_max_leaves, base.forest.max_leaves.unwrap_or(0));
    let weights = or(&a.grid_class_weight_power, a.model.class_weight_power);
    for &t in &trees {
        for &d in &depths {
            for &c in &hog_cells {
                for &l in &leaves {
                    for &w in &weights {
                        let mut o = base.clone();
                        o.forest.n_trees = t;
                        o.forest.max_depth = (d > 0).then_some(d);
                        o.forest.max_leaves = (l > 0).then_some(l);
                        o.forest.class_weight = if w > 0.0 {
                            ClassWeight::Balanced { power: w }
                        } else {
                            ClassWeight::None
                        };
                        o.features.hog = if c == u32::MAX {
                            base.features.hog.clone()
                        } else if c > 0 {
                            vec![HogConfig {
                                cell: c,
                                orientations: a.model.hog_orientations,
                                colour: a.model.hog_colour,
                            }]
                        } else {
                            vec![]
                        };
                        grid.push(((t, d, c, l, w), o));
                    }
                }
            }
        }
    }
    let augments = or(&a.grid_augment, base.augment.copies);
    let grid: Vec<_> = grid
        .into_iter()
        .flat_map(|(key, o)| {
            augments.iter().map(move |&n| {
                let mut o = o.clone();
                o.augment.copies = n;
                (key, o)
            })
        })
        .collect();
    let total_trees: usize = grid.iter().map(|(_, o)| o.total_trees() * a.folds).sum();
    eprintln!(
        "{} settings × {} folds (split by photo) on {} training photos; the test photos are not used",
        grid.len(),
        a.folds,
        photos.len()
    );
    let pb = bar(total_trees as u64, "trees");
    let mut rows = Vec::new();
    let skips = or(&a.grid_skip_confident, base.skip_confident);
    let parts = or(&a.grid_largest_parts, base.post.largest_parts);
    let smooths = or(&a.grid_smooth, base.post.smooth);
    let scales = or(&a.grid_part_scale, base.post.part_scale);
    let mut variants = Vec::new();
    for &skip_confident in &skips {
        for &largest_parts in &parts {
            for &smooth in &smooths {
                for &part_scale in &scales {
                    variants.push(PredictSettings {
                        skip_confident,
                        post: PostProcess {
                            largest_parts,
                            smooth,
                            part_scale,
                        },
                    });
                }
            }
        }
    }
    for ((t, d, c, l, w), o) in &grid {
        let by_variant = cross_validate_robust(
            &photos,
            o,
            a.folds,
            a.model.seed,
            &variants,
            a.perturbed,
            &|| pb.inc(1),
        )?;
        for (v, results) in variants.iter().zip(&by_variant) {
            let folds: Vec<_> = results.iter().map(|r| r.0.clone()).collect();
            let moved: Vec<_> = results.iter().filter_map(|r| r.1.clone()).collect();
            let aug = o.augment.copies;
            let (skip, lp, sm) = (v.skip_confident, v.post.largest_parts, v.post.smooth);
            let ps = v.post.part_scale;
            let acc: Vec<f64> = folds.iter().map(|e| e.honest.accuracy).collect();
            let f1: Vec<f64> = folds.iter().map(|e| e.honest.macro_f1).collect();
            let (am, asd) = mean_std(&acc);
            let (fm, fsd) = mean_std(&f1);
            // With --perturbed, select by the mean of clean and perturbed macro-F1.
            let (pacc, pf1): (Vec<f64>, Vec<f64>) = moved
                .iter()
                .map(|e| (e.honest.accuracy, e.honest.macro_f1))
                .unzip();
            let score = if pf1.is_empty() {
                fm
            } else {
                (fm + mean_std(&pf1).0) / 2.0
            };
            let c = if *c == u32::MAX {
                a.model.hog_cell.first().copied().unwrap_or(0)
            } else {
                *c
            };
            let mut line = format!(
                "trees {t:>3} depth {:>4} hog cell {c:>2} max leaves {l:>6} class weight {w:.2} augment {aug} skip {skip:.2} largest parts {lp} smooth {sm} part scale {ps:.2}: honest accuracy {am:.4} ± {asd:.4}, macro-F1 {fm:.4} ± {fsd:.4}",
                if *d == 0 { "none".to_string() } else { d.to_string() }
            );
            if !pf1.is_empty() {
                let (pam, pasd) = mean_std(&pacc);
                let (pfm, pfsd) = mean_std(&pf1);
                line += &format!(
                    "; perturbed: accuracy {pam:.4} ± {pasd:.4}, macro-F1 {pfm:.4} ± {pfsd:.4}"
                );
            }
            // println on a hidden bar (no terminal) would drop the line.
            pb.suspend(|| eprintln!("{line}"));
            let mut o = o.clone();
            o.skip_confident = skip;
            o.post = v.post;
            rows.push((json!({"trees": t, "max_depth": d, "hog_cell": c, "max_leaves": l, "class_weight_power": w, "augment": aug, "skip_confident": skip, "largest_parts": lp, "smooth": sm, "part_scale": ps,
                              "accuracy_mean": am, "accuracy_std": asd, "macro_f1_mean": fm, "macro_f1_std": fsd, "fold_accuracy": acc, "fold_macro_f1": f1,
                              "perturbed_fold_accuracy": pacc, "perturbed_fold_macro_f1": pf1, "score": score}), score, o));
        }
    }
    pb.finish_and_clear();
    // Select by mean cross-validated macro-F1 (accuracy alone is dominated by skin
    // and hair); with --perturbed, by its mean over clean and perturbed photos.
    let best = rows.iter().max_by(|x, y| x.1.total_cmp(&y.1)).unwrap();
    eprintln!(
        "best by cross-validated macro-F1{}: {}",
        if a.perturbed {
            " (clean and perturbed)"
        } else {
            ""
        },
        best.0
    );
    let pb = bar(best.2.total_trees() as u64, "refit");
    let (mut model, _) = train_model(&photos, &best.2, &|| pb.inc(1))?;
    pb.finish_and_clear();
    model
        .notes
        .push(("grid_search_best".into(), best.0.to_string()));
    model
        .notes
        .push(("training_photos".into(), a.data.summary(Part::Train)?));
    model
        .notes
        .push(("training_data_terms".into(), a.data.terms()?));
    if let Some(d) = a.output.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&a.output, model.to_bytes())?;
    eprintln!(
        "refit on all {} training photos -> {}",
        photos.len(),
        a.output.display()
    );
    if let Some(j) = a.json {
        let out = json!({"folds": a.folds, "results": rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), "best": best.0});
        std::fs::write(j, serde_json::to_string_pretty(&out)?)?;
    }
    Ok(())
}
