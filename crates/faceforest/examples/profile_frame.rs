//! Where a frame's time goes, step by step (a developer's probe, not a benchmark).
use faceforest::{Model, Segmenter};
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("web/models/faceforest.model".into());
    let model = Model::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
    let frame = faceforest::synthetic::face(256, 256, 7).photo;
    let seg = Segmenter::new(model.clone()).unwrap();
    for _ in 0..3 {
        seg.segment(&frame, false).unwrap();
    }
    let n = 20;
    let mut t = [0f64; 8];
    for _ in 0..n {
        let t0 = Instant::now();
        let (sq, g) = faceforest::prep::square::square_photo(&frame, model.size);
        let t1 = Instant::now();
        let base = model.features.compute(&sq);
        let t2 = Instant::now();
        let probs = model.forest.predict_planes(base.view());
        let t3 = Instant::now();
        let st = &model.context_stages[0];
        let f = st.forest.n_features();
        let mut rows = vec![0u8; base.ncols() * f];
        st.forest.quantise_into(base.view(), &mut rows, f, 0);
        let t4 = Instant::now();
        let fb = base.nrows();
        st.layout
            .quantise_into(&probs, model.size, &mut rows, f, fb, |j, v| {
                st.forest.quantise_value(fb + j, v)
            });
        let t5 = Instant::now();
        let p2 = st.forest.predict_binned(&rows);
        let t6 = Instant::now();
        let _ = faceforest::prep::square::unsquare_probs(&p2, &g, false);
        let t7 = Instant::now();
        for (i, (a, b)) in [
            (t0, t1),
            (t1, t2),
            (t2, t3),
            (t3, t4),
            (t4, t5),
            (t5, t6),
            (t6, t7),
            (t0, t7),
        ]
        .iter()
        .enumerate()
        {
            t[i] += (*b - *a).as_secs_f64() * 1e3 / n as f64;
        }
    }
    let names = [
        "square",
        "features",
        "stage1",
        "ctx planes",
        "concat+quantise",
        "stage2 walk",
        "unsquare",
        "total",
    ];
    for (n, v) in names.iter().zip(t) {
        println!("{n:>16} {v:8.2} ms");
    }
}
