//! Where a frame's time goes, step by step (a developer's probe, not a benchmark).
use faceforest::forest::planes::PlaneStack;
use faceforest::{Model, Segmenter};

/// CPU time of all this process's threads, in ms: fairer than wall time when
/// other work shares the machine.
fn cpu_ms() -> f64 {
    let mut ns = 0u64;
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
            ns += s.split_whitespace().next().unwrap().parse::<u64>().unwrap();
        }
    }
    ns as f64 / 1e6
}

#[derive(Clone, Copy)]
struct Instant(f64, std::time::Instant);
impl Instant {
    fn now() -> Instant {
        Instant(cpu_ms(), std::time::Instant::now())
    }
}
impl std::ops::Sub for Instant {
    type Output = f64;
    /// CPU ms with `PROFILE_CPU=1`, else wall ms.
    fn sub(self, o: Instant) -> f64 {
        if std::env::var_os("PROFILE_CPU").is_some() {
            self.0 - o.0
        } else {
            (self.1 - o.1).as_secs_f64() * 1e3
        }
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("web/models/faceforest.model".into());
    let model = Model::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
    // The criterion bench's frame: a real face (a cartoon leaves the model unsure),
    // 256 px unless FRAME says otherwise.
    let side: u32 = std::env::var("FRAME").map_or(256, |v| v.parse().unwrap());
    let frame = image::open("../shared/fasseg/frontal02/test/rgb/1.png")
        .map(|p| {
            image::imageops::resize(
                &p.to_rgb8(),
                side,
                side,
                image::imageops::FilterType::Triangle,
            )
        })
        .unwrap_or_else(|_| faceforest::synthetic::face(side, side, 7).photo);
    let seg = Segmenter::new(model.clone()).unwrap();
    for _ in 0..3 {
        seg.segment(&frame, false).unwrap();
    }
    let st = &model.context_stages[0];
    let n = 40;
    let mut t = [0f64; 8];
    let mut alloc = 0f64;
    for _ in 0..n {
        let t0 = Instant::now();
        let (sq, g) = faceforest::prep::square::square_photo(&frame, model.size);
        let t1 = Instant::now();
        let base = model.features.compute(&sq);
        let t2 = Instant::now();
        let fb = base.nrows();
        let mut stack = PlaneStack::new(
            model.size as usize,
            st.layout.reach(),
            fb + st.layout.n_planes(),
        );
        let origins = stack.origins();
        let ta = Instant::now();
        alloc += (ta - t2) / n as f64;
        stack.quantise(base.view(), &model.forest, 0);
        let off = stack.plane_offsets(0, fb);
        let t3 = Instant::now();
        let probs = model.forest.predict_at(&stack.data, &off, &origins);
        let t4 = Instant::now();
        let mut off2 = off.clone();
        off2.extend(st.box_planes(&probs, &mut stack, fb));
        let t5 = Instant::now();
        let p2 = st.forest.predict_at(&stack.data, &off2, &origins);
        let t6 = Instant::now();
        let _ = faceforest::prep::square::unsquare_probs(&p2, &g, false);
        let t7 = Instant::now();
        let steps = [
            (t0, t1),
            (t1, t2),
            (t2, t3),
            (t3, t4),
            (t4, t5),
            (t5, t6),
            (t6, t7),
            (t0, t7),
        ];
        for (i, (a, b)) in steps.iter().enumerate() {
            t[i] += (*b - *a) / n as f64;
        }
    }
    let names = [
        "square",
        "features",
        "quantise",
        "stage1 walk",
        "box planes",
        "stage2 walk",
        "unsquare",
        "total",
    ];
    for (n, v) in names.iter().zip(t) {
        println!("{n:>16} {v:8.2} ms");
    }
    println!("{:>16} {alloc:8.2} ms (of quantise)", "alloc");
    let mut seg_ms = 0.0;
    for _ in 0..n {
        let t0 = Instant::now();
        seg.segment(&frame, false).unwrap();
        seg_ms += (Instant::now() - t0) / n as f64;
    }
    println!("{:>16} {seg_ms:8.2} ms", "Segmenter");
}
