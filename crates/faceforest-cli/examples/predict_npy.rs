//! Times the prediction of a saved forest on exported test features, split into
//! quantisation and the tree walk: `cargo run --release -p faceforest-cli --example
//! predict_npy -- MODEL.ffm FEATURES_DIR [IMAGES]`.
use faceforest::model::Model;
use ndarray::Array2;
use ndarray_npy::read_npy;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = Model::from_bytes(&std::fs::read(&args[1]).unwrap()).unwrap();
    let dir = std::path::Path::new(&args[2]);
    let n: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(10);
    let xt: Array2<f32> = read_npy(dir.join("X_test.npy")).unwrap();
    let per = (model.size as usize).pow(2);
    let f = &model.forest;
    let _ = f.predict_planes(xt.slice(ndarray::s![..per, ..]).t());
    let (mut tq, mut tw) = (0.0, 0.0);
    let mut sum = 0.0f64;
    for i in 0..n {
        let img = xt.slice(ndarray::s![i * per..(i + 1) * per, ..]);
        let t = Instant::now();
        let rows = f.quantise_planes(img.t());
        tq += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let p = f.predict_binned(&rows);
        tw += t.elapsed().as_secs_f64();
        sum += p[0] as f64;
    }
    if std::env::var("DEPTH").is_ok() {
        let img = xt.slice(ndarray::s![..per, ..]);
        let rows = f.quantise_planes(img.t());
        let nf = f.n_features();
        let mut steps = 0usize;
        for t in &f.trees {
            for r in rows.chunks_exact(nf) {
                let mut i = 0usize;
                while t.feature[i] != faceforest::forest::layout::LEAF {
                    steps += 1;
                    i = if r[t.feature[i] as usize] <= t.threshold[i] {
                        i + 1
                    } else {
                        t.next[i] as usize
                    };
                }
            }
        }
        println!(
            "mean path {:.1} nodes; nodes/tree {}",
            steps as f64 / (per * f.trees.len()) as f64,
            f.n_nodes() / f.trees.len()
        );
    }
    println!(
        "per image: quantise {:.2} ms, walk {:.2} ms (check {sum:.3})",
        tq * 1e3 / n as f64,
        tw * 1e3 / n as f64
    );
}
