//! Does framing work? The 50 frontal02/test photos, each pasted at a seeded random
//! position, scale (face height `--face-min`..60% of the canvas, default 10%) and
//! roll (up to ±`--roll` degrees, default 30) into a 1280×720 canvas over a seeded
//! textured background, go through detect → crop → segment → paste back.
//! Honest accuracy is computed over each original photo's own pixels (the pasted
//! region is mapped back onto them) and compared with segmenting the photos directly.
//!
//!   cargo run --release -p faceforest-frame --example measure_framing -- \
//!       --model out/frame-test.ff [--face-model web/models/face_detection_short_range.tflite] \
//!       [--fasseg DIR] [--seed N] [--roll DEG] [--face-min F] [--full]
//!
//! Rows: `oracle` crops exactly the pasted photo (no detector: what resampling alone
//! costs); then each detector setting × overhang policy, with `crop_for` (the
//! measured framing × CROP_MARGIN). `--scales 1,1.1,...` replaces the policies by
//! pad-edge crops scaled by those extra factors; `--photos train` runs on the
//! training photos (how CROP_MARGIN was tuned, with the margin then at 1.0);
//! `--per-photo` prints each photo's crop geometry and accuracies. A photo whose canvas yields
//! no face (or whose largest face is not on the photo) counts as a detection failure
//! and is scored as all background.

mod common;

use faceforest::dataset::fasseg;
use faceforest::metrics::{Confusion, Report};
use faceforest::pipeline::{Photo, HONEST_NAMES};
use faceforest::prep::labels::LabelCleaning;
use faceforest::Segmenter;
use faceforest_frame::{
    crop_for_with, segment_framed, CropRect, DetectOptions, FaceBox, FaceDetector, Overhang,
};
use image::{imageops, Rgb, RgbImage};
use std::path::PathBuf;
use std::time::Instant;

const CANVAS_W: u32 = 1280;
const CANVAS_H: u32 = 720;
/// Detected face box height / photo height on FASSEG (examples/fit_framing.rs).
const FACE_OF_PHOTO: f64 = 0.659;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A seeded textured background: two colour gradients at random angles, a few
/// sinusoidal stripes, smooth value noise at two scales and fine pixel noise.
fn background(rng: &mut Rng) -> RgbImage {
    let mut c = || {
        [
            rng.range(20.0, 235.0),
            rng.range(20.0, 235.0),
            rng.range(20.0, 235.0),
        ]
    };
    let (c0, c1, c2) = (c(), c(), c());
    let a1 = rng.range(0.0, std::f64::consts::TAU);
    let a2 = rng.range(0.0, std::f64::consts::TAU);
    let freq = rng.range(0.01, 0.06);
    let stripe_a = rng.range(0.0, std::f64::consts::TAU);
    let stripe_amp = rng.range(10.0, 40.0);
    // Value-noise lattices.
    let lat = |rng: &mut Rng, cell: u32| {
        let (gw, gh) = (CANVAS_W / cell + 2, CANVAS_H / cell + 2);
        (
            (0..gw * gh * 3)
                .map(|_| rng.range(-1.0, 1.0))
                .collect::<Vec<f64>>(),
            gw,
            cell,
        )
    };
    let coarse = lat(rng, 97);
    let fine = lat(rng, 13);
    let sample = |(g, gw, cell): &(Vec<f64>, u32, u32), x: u32, y: u32, ch: usize| {
        let fx = x as f64 / *cell as f64;
        let fy = y as f64 / *cell as f64;
        let (ix, iy) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - ix as f64, fy - iy as f64);
        let (tx, ty) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
        let at = |x: usize, y: usize| g[(y * *gw as usize + x) * 3 + ch];
        let top = at(ix, iy) * (1.0 - tx) + at(ix + 1, iy) * tx;
        let bot = at(ix, iy + 1) * (1.0 - tx) + at(ix + 1, iy + 1) * tx;
        top * (1.0 - ty) + bot * ty
    };
    let mut pix = Rng(rng.next());
    RgbImage::from_fn(CANVAS_W, CANVAS_H, |x, y| {
        let (u, v) = (x as f64 / CANVAS_W as f64, y as f64 / CANVAS_H as f64);
        let g1 = (u * a1.cos() + v * a1.sin()).rem_euclid(1.0);
        let g2 = (u * a2.cos() + v * a2.sin()).rem_euclid(1.0);
        let stripe =
            ((x as f64 * stripe_a.cos() + y as f64 * stripe_a.sin()) * freq).sin() * stripe_amp;
        let mut out = [0u8; 3];
        for ch in 0..3 {
            let base = c0[ch] * (1.0 - g1) + c1[ch] * g1;
            let base = base * (1.0 - 0.5 * g2) + c2[ch] * 0.5 * g2;
            let v = base
                + stripe
                + 45.0 * sample(&coarse, x, y, ch)
                + 25.0 * sample(&fine, x, y, ch)
                + pix.range(-12.0, 12.0);
            out[ch] = v.clamp(0.0, 255.0) as u8;
        }
        Rgb(out)
    })
}

struct Scene {
    canvas: RgbImage,
    /// Where the photo sits: the (turned) rectangle its resized copy fills.
    rect: CropRect,
}

fn scene(p: &Photo, rng: &mut Rng, face_min: f64, max_roll: f64) -> Scene {
    let face_frac = rng.range(face_min, 0.6);
    let ph = ((face_frac * CANVAS_H as f64 / FACE_OF_PHOTO).round() as u32).min(CANVAS_H);
    let pw = ((p.photo.width() as f64 * ph as f64 / p.photo.height() as f64).round() as u32)
        .min(CANVAS_W);
    let angle = rng.range(-max_roll, max_roll).to_radians() as f32;
    // Placed so that the turned photo stays inside the canvas.
    let mut rect = CropRect {
        x: 0,
        y: 0,
        w: pw,
        h: ph,
        angle,
    };
    let (x0, y0, x1, y1) = rect.bounds();
    let (bw, bh) = (x1 - x0, y1 - y0);
    let ox = rng.unit() * (CANVAS_W as f64 - bw).max(0.0) - x0;
    let oy = rng.unit() * (CANVAS_H as f64 - bh).max(0.0) - y0;
    rect.x = ox.round() as i32;
    rect.y = oy.round() as i32;
    let mut canvas = background(rng);
    let scaled = imageops::resize(&p.photo, pw, ph, imageops::FilterType::Triangle);
    let (bx0, by0, bx1, by1) = rect.bounds();
    for y in (by0.max(0.0) as u32)..(by1.min(CANVAS_H as f64) as u32) {
        for x in (bx0.max(0.0) as u32)..(bx1.min(CANVAS_W as f64) as u32) {
            let (u, v) = rect.to_crop(x as f64 + 0.5, y as f64 + 0.5);
            if u >= 0.0 && v >= 0.0 && u < pw as f64 && v < ph as f64 {
                canvas.put_pixel(x, y, *scaled.get_pixel(u as u32, v as u32));
            }
        }
    }
    Scene { canvas, rect }
}

/// Canvas labels sampled back onto the photo's own pixels (nearest).
fn back_to_photo(s: &Scene, canvas_labels: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = vec![0u8; (w * h) as usize];
    let r = &s.rect;
    for y in 0..h {
        for x in 0..w {
            let u = (x as f64 + 0.5) * r.w as f64 / w as f64;
            let v = (y as f64 + 0.5) * r.h as f64 / h as f64;
            let (cx, cy) = r.to_image(u, v);
            let (cx, cy) = (
                (cx.max(0.0) as u32).min(CANVAS_W - 1),
                (cy.max(0.0) as u32).min(CANVAS_H - 1),
            );
            out[(y * w + x) as usize] = canvas_labels[(cy * CANVAS_W + cx) as usize];
        }
    }
    out
}

fn on_photo(f: &FaceBox, s: &Scene) -> bool {
    let (cx, cy) = f.centre();
    let (u, v) = s.rect.to_crop(cx as f64, cy as f64);
    u >= 0.0 && v >= 0.0 && u < s.rect.w as f64 && v < s.rect.h as f64
}

struct Row {
    name: String,
    conf: Confusion,
    fails: usize,
    overhangs: usize,
    seg_ms: Vec<f64>,
}

impl Row {
    fn new(name: String) -> Row {
        Row {
            name,
            conf: Confusion::new(7),
            fails: 0,
            overhangs: 0,
            seg_ms: Vec::new(),
        }
    }
}

/// This thread's CPU time in ms (Linux: /proc/thread-self/schedstat, ns), so that
/// detection timings are not inflated by other processes on a busy machine.
fn thread_cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e6)
}

fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
    (
        mean,
        s.get(s.len() / 2).copied().unwrap_or(0.0),
        s.last().copied().unwrap_or(0.0),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = common::arg;
    let full = args.iter().any(|a| a == "--full");
    let model = arg("--model").unwrap_or_else(|| {
        if std::path::Path::new("web/models/faceforest.model").is_file() {
            "web/models/faceforest.model".into()
        } else {
            "out/frame-test.ff".into()
        }
    });
    let face_model = arg("--face-model")
        .unwrap_or_else(|| "web/models/face_detection_short_range.tflite".into());
    let root = arg("--fasseg")
        .map(PathBuf::from)
        .unwrap_or_else(fasseg::default_dir);
    let crop_scale: f32 = arg("--crop-scale")
        .map(|s| s.parse().expect("--crop-scale F"))
        .unwrap_or(1.0);
    let seed: u64 = arg("--seed")
        .map(|s| s.parse().expect("--seed N"))
        .unwrap_or(2024);
    let max_roll: f64 = arg("--roll")
        .map(|s| s.parse().expect("--roll DEG"))
        .unwrap_or(30.0);
    let face_min: f64 = arg("--face-min")
        .map(|s| s.parse().expect("--face-min F"))
        .unwrap_or(0.1);

    let seg = Segmenter::from_bytes(
        &std::fs::read(&model).unwrap_or_else(|e| panic!("read {model}: {e}")),
    )
    .expect("segmenter model");
    let det =
        FaceDetector::from_model_bytes(&std::fs::read(&face_model).unwrap_or_else(|e| {
            panic!("read {face_model}: {e} (run scripts/fetch-face-model.sh)")
        }))
        .expect("face model");
    // `--photos train`: the standard training photos (frontal02/train + multipose01
    // 0/±15), for tuning without touching the test set.
    let photos = match arg("--photos").as_deref() {
        Some("train") => {
            fasseg::standard_train(&root, LabelCleaning::default()).expect("load training photos")
        }
        _ => fasseg::standard_test(&root, LabelCleaning::default()).expect("load frontal02/test"),
    };
    println!(
        "segmenter {model} (size {}), {} test photos, seed {seed}, canvas {CANVAS_W}x{CANVAS_H}",
        seg.model().size,
        photos.len()
    );

    // Direct: the photos as they are.
    let mut direct = Confusion::new(7);
    for p in &photos {
        let s = seg.segment(&p.photo, false).expect("segment");
        direct.add_all(&p.labels.data, &s.labels, |c| c as usize);
    }

    let detectors = [
        ("default", DetectOptions::default()),
        ("fast", DetectOptions::fast()),
    ];
    // Variants: overhang policy × extra crop scale (about the crop centre).
    let policies: Vec<(String, Overhang, f32)> = match arg("--scales") {
        Some(list) => list
            .split(',')
            .map(|v| {
                let f: f32 = v.parse().expect("--scales 1,1.1,...");
                (format!("pad-edge x{f}"), Overhang::PadEdge, f)
            })
            .collect(),
        None => [
            ("pad-edge", Overhang::PadEdge),
            ("pad-black", Overhang::PadBlack),
            ("shift", Overhang::Shift),
        ]
        .into_iter()
        .map(|(n, o)| {
            (
                if crop_scale != 1.0 {
                    format!("{n} x{crop_scale}")
                } else {
                    n.to_string()
                },
                o,
                crop_scale,
            )
        })
        .collect(),
    };
    let mut oracle = Row::new("oracle crop (exact photo rect)".into());
    let mut rows: Vec<Row> = Vec::new();
    for (dn, _) in &detectors {
        for (pn, _, _) in &policies {
            rows.push(Row::new(format!("detect {dn:<7} + {pn}")));
        }
    }
    let mut det_ms: Vec<Vec<f64>> = vec![Vec::new(); detectors.len()];
    let mut det_cpu_ms: Vec<Vec<f64>> = vec![Vec::new(); detectors.len()];
    let per_photo = args.iter().any(|a| a == "--per-photo");
    let mut extra_faces = vec![0usize; detectors.len()];
    // The same photos on a flat grey canvas, for timing only (textured backgrounds
    // keep more windows alive through the detector's cascade).
    let mut flat_cpu_ms: Vec<Vec<f64>> = vec![Vec::new(); detectors.len()];
    let mut face_fracs = Vec::new();

    let mut rng = Rng(seed);
    for (i, p) in photos.iter().enumerate() {
        let sc = scene(p, &mut rng, face_min, max_roll);
        face_fracs.push(sc.rect.h as f64 * FACE_OF_PHOTO / CANVAS_H as f64);
        let (w, h) = p.photo.dimensions();

        let fr = segment_framed(&seg, &sc.canvas, &sc.rect, Overhang::PadEdge).expect("segment");
        oracle
            .conf
            .add_all(&p.labels.data, &back_to_photo(&sc, &fr.labels, w, h), |c| {
                c as usize
            });

        for (d, (dn, opts)) in detectors.iter().enumerate() {
            // Warm once (first call allocates), then time.
            if i == 0 {
                det.detect(&sc.canvas, opts).unwrap_or_default();
            }
            let cpu0 = thread_cpu_ms();
            let t = Instant::now();
            let faces = det.detect(&sc.canvas, opts).unwrap_or_default();
            det_ms[d].push(t.elapsed().as_secs_f64() * 1e3);
            if let (Some(a), Some(b)) = (cpu0, thread_cpu_ms()) {
                det_cpu_ms[d].push(b - a);
            }
            extra_faces[d] += faces.len().saturating_sub(1);
            {
                let mut flat = RgbImage::from_pixel(CANVAS_W, CANVAS_H, Rgb([128, 128, 128]));
                let (x0, y0, x1, y1) = sc.rect.bounds();
                let (x0, y0) = (x0.max(0.0) as u32, y0.max(0.0) as u32);
                let (x1, y1) = ((x1 as u32).min(CANVAS_W), (y1 as u32).min(CANVAS_H));
                imageops::replace(
                    &mut flat,
                    &imageops::crop_imm(&sc.canvas, x0, y0, x1 - x0, y1 - y0).to_image(),
                    x0 as i64,
                    y0 as i64,
                );
                let c0 = thread_cpu_ms();
                det.detect(&flat, opts).unwrap_or_default();
                if let (Some(a), Some(b)) = (c0, thread_cpu_ms()) {
                    flat_cpu_ms[d].push(b - a);
                }
            }
            let face = faces.first().filter(|f| on_photo(f, &sc)).copied();
            if face.is_none() {
                println!(
                    "  {}: detector {dn}: {} boxes, none on the photo: {:?}",
                    p.name,
                    faces.len(),
                    faces
                );
            }
            for (k, (_, pol, scale)) in policies.iter().enumerate() {
                let row = &mut rows[d * policies.len() + k];
                let Some(f) = face else {
                    row.fails += 1;
                    row.conf
                        .add_all(&p.labels.data, &vec![0u8; (w * h) as usize], |c| c as usize);
                    continue;
                };
                let mut crop = crop_for_with(&f, CANVAS_W, CANVAS_H, *pol);
                if *scale != 1.0 {
                    crop = crop.scaled(*scale);
                    if *pol == Overhang::Shift {
                        crop = faceforest_frame::shift_inside(&crop, CANVAS_W, CANVAS_H);
                    }
                }
                if crop.overhangs(CANVAS_W, CANVAS_H) {
                    row.overhangs += 1;
                }
                let t = Instant::now();
                let fr = segment_framed(&seg, &sc.canvas, &crop, *pol).expect("segment");
                row.seg_ms.push(t.elapsed().as_secs_f64() * 1e3);
                let back = back_to_photo(&sc, &fr.labels, w, h);
                if per_photo && d == 0 && k == 0 {
                    let mut c1 = Confusion::new(7);
                    c1.add_all(&p.labels.data, &back, |c| c as usize);
                    let dr = seg.segment(&p.photo, false).expect("segment");
                    let mut c0 = Confusion::new(7);
                    c0.add_all(&p.labels.data, &dr.labels, |c| c as usize);
                    let r = &sc.rect;
                    let ph = r.h as f64;
                    // Photo pixels outside the crop (pasted as background).
                    let (mut out_n, mut out_ok_direct, mut out_ok_framed) = (0u64, 0u64, 0u64);
                    for y in 0..h {
                        for x in 0..w {
                            let (cx, cy) = r.to_image(
                                (x as f64 + 0.5) * r.w as f64 / w as f64,
                                (y as f64 + 0.5) * ph / h as f64,
                            );
                            let (u, v) = crop.to_crop(cx, cy);
                            if u < 0.0 || v < 0.0 || u >= crop.w as f64 || v >= crop.h as f64 {
                                let i = (y * w + x) as usize;
                                out_n += 1;
                                out_ok_direct += (dr.labels[i] == p.labels.data[i]) as u64;
                                out_ok_framed += (back[i] == p.labels.data[i]) as u64;
                            }
                        }
                    }
                    println!(
                        "      outside crop: {:.1}% of the photo; correct there: direct {:.1}%, framed (background) {:.1}%",
                        100.0 * out_n as f64 / (w * h) as f64,
                        100.0 * out_ok_direct as f64 / out_n.max(1) as f64,
                        100.0 * out_ok_framed as f64 / out_n.max(1) as f64
                    );
                    let ((ccx, ccy), (pcx, pcy)) = (crop.centre(), r.centre());
                    println!(
                        "  {:<24} face {:.2} roll {:+.1}° (crop {:+.1}°) crop/photo h {:.3} dcx {:+.3} dcy {:+.3} (photo heights)  direct {:.4} framed {:.4} ({:+.4})",
                        p.name,
                        ph * FACE_OF_PHOTO / CANVAS_H as f64,
                        r.angle.to_degrees(),
                        crop.angle.to_degrees(),
                        crop.h as f64 / ph,
                        (ccx - pcx) / ph,
                        (ccy - pcy) / ph,
                        c0.accuracy(),
                        c1.accuracy(),
                        c1.accuracy() - c0.accuracy()
                    );
                }
                row.conf.add_all(&p.labels.data, &back, |c| c as usize);
            }
        }
        if i == 0 {
            if let Some(dir) = arg("--save-first") {
                std::fs::create_dir_all(&dir).ok();
                sc.canvas.save(PathBuf::from(&dir).join("canvas0.png")).ok();
            }
        }
    }

    let direct_r = Report::from_confusion(&direct, &HONEST_NAMES);
    let (fmin, fmax) = face_fracs
        .iter()
        .fold((1.0f64, 0.0f64), |(a, b), &f| (a.min(f), b.max(f)));
    println!("face height / canvas height: {fmin:.2}..{fmax:.2}; roll up to ±{max_roll}°\n");
    println!(
        "{:<34} {:>9} {:>9} {:>8} {:>6} {:>9} {:>10}",
        "", "honest", "diff", "macroF1", "fails", "overhang", "crop+seg"
    );
    println!(
        "{:<34} {:>9.4} {:>9} {:>8.4} {:>6} {:>9} {:>10}",
        "direct (photo as is)", direct_r.accuracy, "", direct_r.macro_f1, "", "", ""
    );
    let mut reports = Vec::new();
    for r in std::iter::once(&oracle).chain(rows.iter()) {
        let rep = Report::from_confusion(&r.conf, &HONEST_NAMES);
        let (m, _, _) = stats(&r.seg_ms);
        println!(
            "{:<34} {:>9.4} {:>+9.4} {:>8.4} {:>6} {:>9} {:>8.1}ms",
            r.name,
            rep.accuracy,
            rep.accuracy - direct_r.accuracy,
            rep.macro_f1,
            r.fails,
            r.overhangs,
            m
        );
        reports.push((r.name.clone(), rep));
    }
    println!("\nper-class F1");
    print!("{:<12} {:>8}", "class", "direct");
    // oracle, default + first variant, fast + first variant
    let shown = [0usize, 1, 1 + policies.len()];
    for &k in &shown {
        print!(
            " {:>22}",
            reports[k]
                .0
                .replace("detect ", "")
                .replace("oracle crop (exact photo rect)", "oracle")
        );
    }
    println!();
    for (c, name) in HONEST_NAMES.iter().enumerate() {
        print!("{:<12} {:>8.4}", name, direct_r.classes[c].f1);
        for &k in &shown {
            print!(" {:>22.4}", reports[k].1.classes[c].f1);
        }
        println!();
    }
    println!("\ndetection on {CANVAS_W}x{CANVAS_H}:");
    for (d, (dn, o)) in detectors.iter().enumerate() {
        let (m, med, mx) = stats(&det_ms[d]);
        let (cm, cmed, cmx) = stats(&det_cpu_ms[d]);
        println!(
            "  {dn:<8} {o:?}: wall mean {m:.1} ms, median {med:.1}, max {mx:.1}; thread CPU mean {cm:.1} ms, median {cmed:.1}, max {cmx:.1}; extra boxes {}",
            extra_faces[d]
        );
        let (fm, fmed, fmx) = stats(&flat_cpu_ms[d]);
        println!("  {:<8} same photos on a flat grey canvas: thread CPU mean {fm:.1} ms, median {fmed:.1}, max {fmx:.1}", "");
    }
    if full {
        println!("\ndirect:\n{}", direct_r.table());
        println!("{}:\n{}", reports[1].0, reports[1].1.table());
    }
}
