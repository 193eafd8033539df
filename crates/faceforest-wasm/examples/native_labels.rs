//! Native side of the browser parity test: segments photos with the core crate and
//! writes, per photo, the decoded RGBA bytes the browser is given
//! (`<stem>.rgba`), the labels (`<stem>.labels.bin`, one class id per pixel,
//! row-major) and a colourised overlay (`<stem>.labels.png`), plus `manifest.json`.
//!
//!     cargo run --release -p faceforest-wasm --example native_labels -- OUT_DIR MODEL PHOTO.png...

// Native only (they read files); on wasm32 (`cargo test --target wasm32-unknown-unknown`
// builds examples too) they compile to nothing.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fmt::Write as _;
    use std::path::Path;

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.len() < 3 {
            eprintln!("usage: native_labels OUT_DIR MODEL PHOTO.png...");
            std::process::exit(2);
        }
        let out = Path::new(&args[0]);
        std::fs::create_dir_all(out).expect("creating the output folder");
        let bytes = std::fs::read(&args[1]).unwrap_or_else(|e| fail(&format!("{}: {e}", args[1])));
        let seg =
            faceforest::Segmenter::from_bytes(&bytes).unwrap_or_else(|e| fail(&e.to_string()));
        let mut manifest = String::from("[\n");
        for (i, photo) in args[2..].iter().enumerate() {
            let img = image::open(photo)
                .unwrap_or_else(|e| fail(&format!("{photo}: {e}")))
                .to_rgba8();
            let (w, h) = img.dimensions();
            let rgba = img.into_raw();
            let s = seg
                .segment_rgba(&rgba, w, h, false)
                .unwrap_or_else(|e| fail(&e.to_string()));
            let stem = Path::new(photo)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            std::fs::write(out.join(format!("{stem}.rgba")), &rgba).unwrap();
            std::fs::write(out.join(format!("{stem}.labels.bin")), &s.labels).unwrap();
            let overlay = faceforest::colourise(&s.labels, seg.classes(), 1.0, &[]);
            image::RgbaImage::from_raw(w, h, overlay)
                .unwrap()
                .save(out.join(format!("{stem}.labels.png")))
                .unwrap();
            let sep = if i + 2 < args.len() - 1 { "," } else { "" };
            let abs = std::fs::canonicalize(photo).unwrap();
            writeln!(
                manifest,
                "  {{\"name\": \"{stem}\", \"photo\": {:?}, \"width\": {w}, \"height\": {h}}}{sep}",
                abs.display().to_string()
            )
            .unwrap();
        }
        manifest.push_str("]\n");
        std::fs::write(out.join("manifest.json"), manifest).unwrap();
        eprintln!(
            "wrote {} photos' labels to {}",
            args.len() - 2,
            out.display()
        );
    }

    fn fail(msg: &str) -> ! {
        eprintln!("error: {msg}");
        std::process::exit(1)
    }
}
