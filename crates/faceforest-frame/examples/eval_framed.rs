//! Scores a model on a described dataset's test part the way the product meets a
//! photo: detect → aligned crop → segment → paste back (and, beside it, the photo
//! segmented whole). Ignored pixels are not scored. Per-class F1, six-class figures
//! (eyes merged) and the per-photo spread.
//!
//!   cargo run --release -p faceforest-frame --example eval_framed -- \
//!       --dataset datasets/celebamask-hq.toml [--model web/models/faceforest.model] [--part train]

mod common;

use faceforest::dataset::description::{Description, Part};
use faceforest::metrics::{Confusion, Report};
use faceforest::pipeline::{six, HONEST6_NAMES, HONEST_NAMES};
use faceforest::prep::augment::is_photo_class;
use faceforest::Segmenter;
use faceforest_frame::{crop_for, segment_framed, DetectOptions, Overhang};
use std::path::PathBuf;

struct Route {
    name: &'static str,
    all: Confusion,
    all6: Confusion,
    per_photo: Vec<(f64, String)>,
    fails: usize,
}

impl Route {
    fn new(name: &'static str) -> Route {
        Route {
            name,
            all: Confusion::new(7),
            all6: Confusion::new(6),
            per_photo: Vec::new(),
            fails: 0,
        }
    }

    fn add(&mut self, name: &str, truth: &[u8], pred: &[u8]) {
        let (t, p): (Vec<u8>, Vec<u8>) = truth
            .iter()
            .zip(pred)
            .filter(|(&t, _)| is_photo_class(t))
            .unzip();
        let mut c = Confusion::new(7);
        c.add_all(&t, &p, |v| v as usize);
        self.all.merge(&c);
        self.all6.add_all(&t, &p, six);
        self.per_photo.push((c.accuracy(), name.to_string()));
    }

    fn print(&mut self) {
        let r = Report::from_confusion(&self.all, &HONEST_NAMES);
        let r6 = Report::from_confusion(&self.all6, &HONEST6_NAMES);
        self.per_photo.sort_by(|a, b| a.0.total_cmp(&b.0));
        let q = |f: f64| self.per_photo[((self.per_photo.len() - 1) as f64 * f) as usize].0;
        println!(
            "{:<10} accuracy {:.4}  macro-F1 {:.4} (six-class {:.4})  per photo: min {:.3} p10 {:.3} median {:.3} max {:.3}  no face: {}",
            self.name,
            r.accuracy,
            r.macro_f1,
            r6.macro_f1,
            q(0.0),
            q(0.1),
            q(0.5),
            q(1.0),
            self.fails
        );
        let f1: Vec<String> = HONEST_NAMES
            .iter()
            .zip(&r.classes)
            .map(|(n, c)| format!("{n} {:.3}", c.f1))
            .collect();
        println!("           F1: {}", f1.join(", "));
        let worst: Vec<String> = self
            .per_photo
            .iter()
            .take(5)
            .map(|(a, n)| format!("{n} {a:.3}"))
            .collect();
        println!("           worst: {}", worst.join(", "));
    }
}

fn main() {
    let arg = common::arg;
    let root = common::workspace_root();
    let model = arg("--model")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("web/models/faceforest.model"));
    let seg = Segmenter::from_bytes(&std::fs::read(&model).expect("read --model")).expect("model");
    let det = common::shipped_detector();
    let desc = arg("--dataset")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("datasets/celebamask-hq.toml"));
    let part = if arg("--part").as_deref() == Some("train") {
        Part::Train
    } else {
        Part::Test
    };
    let d = Description::from_file(&desc).expect("dataset description");
    let photos = d.load(part, 1.0).expect("photos");
    println!(
        "{} ({} part, {} photos), model {}",
        desc.display(),
        part.name(),
        photos.len(),
        model.display()
    );
    let mut framed = Route::new("framed");
    let mut whole = Route::new("whole");
    for p in &photos {
        let truth = &p.labels.data;
        let direct = seg.segment(&p.photo, false).expect("segment").labels;
        whole.add(&p.name, truth, &direct);
        let faces = det
            .detect(&p.photo, &DetectOptions::default())
            .unwrap_or_default();
        let pred = match faces.first() {
            Some(f) => {
                let crop = crop_for(f, p.photo.width(), p.photo.height());
                segment_framed(&seg, &p.photo, &crop, Overhang::PadEdge)
                    .expect("segment")
                    .labels
            }
            None => {
                framed.fails += 1;
                vec![0; truth.len()]
            }
        };
        framed.add(&p.name, truth, &pred);
    }
    framed.print();
    whole.print();
}
