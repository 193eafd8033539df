//! Frames and segments photos as the demo page does (largest face → crop → segment
//! → paste back) and writes an overlay PNG for each, to look at models side by side:
//!
//!   cargo run --release -p faceforest-frame --example frame_photo -- \
//!       OUT_DIR MODEL PHOTO... [--face-model web/models/face_detection_short_range.tflite]
use faceforest::Segmenter;
use faceforest_frame::{crop_for, segment_framed, DetectOptions, FaceDetector, Overhang};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let face_model = match args.iter().position(|a| a == "--face-model") {
        Some(i) => {
            let v = args.remove(i + 1);
            args.remove(i);
            v
        }
        None => "web/models/face_detection_short_range.tflite".into(),
    };
    assert!(args.len() >= 3, "usage: OUT_DIR MODEL PHOTO...");
    let out = std::path::PathBuf::from(&args[0]);
    std::fs::create_dir_all(&out).unwrap();
    let seg = Segmenter::from_bytes(&std::fs::read(&args[1]).unwrap()).unwrap();
    let det = FaceDetector::from_model_bytes(&std::fs::read(&face_model).unwrap()).unwrap();
    for p in &args[2..] {
        let img = image::open(p).unwrap().to_rgb8();
        let faces = det
            .detect(&img, &DetectOptions::default())
            .unwrap_or_default();
        let Some(face) = faces.iter().max_by(|a, b| a.area().total_cmp(&b.area())) else {
            eprintln!("{p}: no face");
            continue;
        };
        let crop = crop_for(face, img.width(), img.height());
        let r = segment_framed(&seg, &img, &crop, Overhang::default()).unwrap();
        let colours = faceforest::colourise(&r.labels, seg.classes(), 0.55, &[true]);
        let mut over = img.clone();
        for (px, c) in over.pixels_mut().zip(colours.chunks_exact(4)) {
            let a = c[3] as f32 / 255.0;
            for (v, &c) in px.0.iter_mut().zip(c) {
                *v = (*v as f32 * (1.0 - a) + c as f32 * a) as u8;
            }
        }
        let name = std::path::Path::new(p)
            .file_stem()
            .unwrap()
            .to_string_lossy();
        over.save(out.join(format!("{name}.png"))).unwrap();
        // The crop alone, three times larger, where the face parts are visible.
        let (x, y) = (crop.x.max(0) as u32, crop.y.max(0) as u32);
        let (w, h) = (crop.w.min(img.width() - x), crop.h.min(img.height() - y));
        let zoom = image::imageops::crop_imm(&over, x, y, w, h).to_image();
        image::imageops::resize(&zoom, w * 3, h * 3, image::imageops::FilterType::Nearest)
            .save(out.join(format!("{name}-crop.png")))
            .unwrap();
        eprintln!("{p}: crop {crop:?}");
    }
}
