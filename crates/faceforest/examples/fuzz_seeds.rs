//! Seed inputs for the fuzz targets (fuzz/, run by scripts/fuzz.sh): a valid small
//! model for `model_loader`; small PNG, JPEG and WebP faces (and a 1×1 and a
//! truncated PNG) for `decode_segment`. Generated, never committed.
//!
//!     cargo run --release -p faceforest --example fuzz_seeds -- target/fuzz-seeds

use image::ImageFormat;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or("target/fuzz-seeds".into()),
    );
    let models = out.join("model_loader");
    let images = out.join("decode_segment");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::create_dir_all(&images).unwrap();
    std::fs::write(
        models.join("small.model"),
        faceforest::synthetic::small_model().to_bytes(),
    )
    .unwrap();
    for (i, (w, h)) in [(24u32, 30u32), (40, 32), (16, 16)].into_iter().enumerate() {
        let photo = faceforest::synthetic::face(w, h, i as u64).photo;
        for (fmt, ext) in [
            (ImageFormat::Png, "png"),
            (ImageFormat::Jpeg, "jpg"),
            (ImageFormat::WebP, "webp"),
        ] {
            let mut bytes = Vec::new();
            photo
                .write_to(&mut std::io::Cursor::new(&mut bytes), fmt)
                .unwrap();
            std::fs::write(images.join(format!("face{i}.{ext}")), &bytes).unwrap();
            if i == 0 {
                std::fs::write(
                    images.join(format!("cut{i}.{ext}")),
                    &bytes[..bytes.len() / 2],
                )
                .unwrap();
            }
        }
    }
    let mut one = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut one), ImageFormat::Png)
        .unwrap();
    std::fs::write(images.join("one.png"), one).unwrap();
    eprintln!("fuzz seeds written to {}", out.display());
}
