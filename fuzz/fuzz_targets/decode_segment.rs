//! File bytes → decode under the input limits → face crop (framing) → square →
//! segment with a small model → labels pasted back. Any input is refused with an
//! error or segmented; nothing panics and no allocation exceeds the limits.
//! Seeded with small PNG, JPEG and WebP faces (scripts/fuzz.sh).
#![no_main]

use faceforest::Segmenter;
use faceforest_frame::{crop_for_with, segment_framed, FaceBox, Overhang};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn segmenter() -> &'static Segmenter {
    static SEG: OnceLock<Segmenter> = OnceLock::new();
    SEG.get_or_init(|| Segmenter::new(faceforest::synthetic::small_model()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(img) = faceforest::limits::decode_rgb(data) else {
        return;
    };
    let (w, h) = img.dimensions();
    // Whole picture.
    let s = segmenter()
        .segment(&img, false)
        .expect("a decoded photo segments");
    assert_eq!(s.labels.len() as u64, w as u64 * h as u64);
    // Framed through a face box derived from the input's last bytes, anywhere
    // around the image (overhanging it too), as the browser's face framing does.
    let t = |i: usize| data[data.len() - 1 - i % data.len()] as f32 / 255.0;
    let side = (w.max(h) as f32 * (0.05 + t(0))).max(1.0);
    let face = FaceBox::new(
        (t(1) * 1.4 - 0.2) * w as f32,
        (t(2) * 1.4 - 0.2) * h as f32,
        side,
        side,
    );
    let overhang = [Overhang::PadEdge, Overhang::PadBlack, Overhang::Shift][data[0] as usize % 3];
    let crop = crop_for_with(&face, w, h, overhang);
    match segment_framed(segmenter(), &img, &crop, overhang) {
        Ok(f) => assert_eq!(f.labels.len(), s.labels.len()),
        // A crop smaller than the minimum size is refused, never a panic.
        Err(e) => assert!(e.to_string().contains("invalid image"), "{e}"),
    }
});
