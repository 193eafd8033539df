//! Probe (not a feature): how many square pixels are already confident after stage 1,
//! and what honest accuracy would be if those pixels kept their stage-1 answer.
use faceforest::dataset::fasseg;
use faceforest::pipeline::{evaluate_square_probs, evaluate_with};
use faceforest::prep::square::square_photo;
use faceforest::Model;

fn main() {
    let model = Model::from_bytes(&std::fs::read("web/models/faceforest.model").unwrap()).unwrap();
    let photos = fasseg::standard_test(&fasseg::default_dir(), Default::default()).unwrap();
    let k = 8;
    let stage = &model.context_stages[0];
    let both: Vec<(Vec<f32>, Vec<f32>)> = photos
        .iter()
        .map(|p| {
            let (sq, _) = square_photo(&p.photo, model.size);
            let base = model.features.compute(&sq);
            let p1 = model.forest.predict_planes(base.view());
            let ctx = stage.layout.planes(&p1, model.size);
            let p2 = stage
                .forest
                .predict_binned(&stage.forest.quantise_parts(&[base.view(), ctx.view()]));
            (p1, p2)
        })
        .collect();
    for t in [0.0f32, 0.8, 0.9, 0.95, 0.99, 2.0] {
        let mut confident = 0usize;
        let mut total = 0usize;
        let mixed: Vec<Vec<f32>> = both
            .iter()
            .map(|(p1, p2)| {
                let mut m = p2.clone();
                for (i, px) in p1.chunks(k).enumerate() {
                    total += 1;
                    if px.iter().cloned().fold(0.0, f32::max) >= t {
                        confident += 1;
                        m[i * k..(i + 1) * k].copy_from_slice(px);
                    }
                }
                m
            })
            .collect();
        let e = evaluate_with(&photos, |i| {
            let g = faceforest::prep::SquareGeometry::new(
                photos[i].photo.width(),
                photos[i].photo.height(),
                model.size,
            );
            evaluate_square_probs(&photos[i], &mixed[i], &g)
        });
        println!(
            "stage-1 max prob >= {t:.2}: {:.1}% of pixels skip stage 2; honest accuracy {:.4} macro-F1 {:.4}",
            100.0 * confident as f64 / total as f64,
            e.honest.accuracy,
            e.honest.macro_f1
        );
    }
}
