//! Where a frame's time goes, step by step (a developer's probe, not a benchmark).
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
    // The step table below uses the portable walk unless SIMD=1.
    faceforest::forest::walk::allow_simd(std::env::var_os("SIMD").is_some());
    for _ in 0..3 {
        seg.segment(&frame, false).unwrap();
    }
    // The real path, timed at each step's end (steps of the same name add up).
    let n = 40;
    let mut steps: Vec<(&'static str, f64)> = vec![];
    let mut add = |name: &'static str, ms: f64| match steps.iter_mut().find(|s| s.0 == name) {
        Some(s) => s.1 += ms / n as f64,
        None => steps.push((name, ms / n as f64)),
    };
    for _ in 0..n {
        let t0 = Instant::now();
        let (sq, g) = faceforest::prep::square::square_photo(&frame, model.size);
        let mut last = Instant::now();
        add("square", last - t0);
        let mut marks: Vec<(&'static str, f64)> = vec![];
        let probs = model.predict_square_marked(&sq, &mut |name| {
            let now = Instant::now();
            marks.push((name, now - last));
            last = now;
        });
        for (name, ms) in marks {
            add(name, ms);
        }
        let _ = faceforest::prep::square::unsquare_probs(&probs, &g, false);
        let end = Instant::now();
        add("unsquare", end - last);
        add("total", end - t0);
    }
    for (name, ms) in &steps {
        println!("{name:>16} {ms:8.2} ms");
    }
    // The whole segmenter with each tree walk, alternating so that both see the
    // same machine: medians of 15 rounds of 4 frames.
    let mut times = [vec![], vec![]];
    for _ in 0..15 {
        for (simd, t) in times.iter_mut().enumerate() {
            faceforest::forest::walk::allow_simd(simd == 1);
            let t0 = Instant::now();
            for _ in 0..4 {
                seg.segment(&frame, false).unwrap();
            }
            t.push((Instant::now() - t0) / 4.0);
        }
    }
    faceforest::forest::walk::allow_simd(true);
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let (scalar, simd) = (median(&mut times[0]), median(&mut times[1]));
    println!("{:>16} {scalar:8.2} ms", "Segmenter");
    if faceforest::forest::walk::simd_active() {
        println!(
            "{:>16} {simd:8.2} ms ({:.2}x)",
            "with SIMD walk",
            scalar / simd
        );
    }
}
