use crate::args::SegmentArgs;
use crate::CliResult;
use faceforest::{ClassInfo, Segmenter};
use image::RgbImage;
use std::path::Path;

pub fn run(a: SegmentArgs) -> CliResult {
    let bytes = std::fs::read(&a.model).map_err(|e| format!("{}: {e}", a.model.display()))?;
    let seg = Segmenter::from_bytes(&bytes).map_err(|e| format!("{}: {e}", a.model.display()))?;
    std::fs::create_dir_all(&a.output)?;
    let mut failed = 0;
    for path in &a.photos {
        match segment_one(&seg, path, &a.output, a.opacity) {
            Ok(ms) => eprintln!("{}: {ms:.1} ms", path.display()),
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", path.display());
            }
        }
    }
    if failed > 0 {
        return Err(format!(
            "{failed} of {} photos could not be segmented",
            a.photos.len()
        )
        .into());
    }
    Ok(())
}

fn segment_one(seg: &Segmenter, path: &Path, out: &Path, opacity: f32) -> CliResult<f64> {
    // Decoded under the input limits (format, size) with the core's messages.
    let bytes = std::fs::read(path)?;
    let photo = faceforest::limits::decode_rgb(&bytes)?;
    let t0 = std::time::Instant::now();
    let s = seg.segment(&photo, false)?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    write_label_png(
        &out.join(format!("{stem}.labels.png")),
        s.width,
        s.height,
        &s.labels,
        seg.classes(),
    )?;
    overlay(&photo, &s.labels, seg.classes(), opacity)
        .save(out.join(format!("{stem}.overlay.png")))?;
    Ok(ms)
}

/// An indexed PNG: pixel values are class ids, the palette holds the class colours.
pub fn write_label_png(
    path: &Path,
    w: u32,
    h: u32,
    labels: &[u8],
    classes: &[ClassInfo],
) -> CliResult {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(classes.iter().flat_map(|c| c.colour).collect::<Vec<u8>>());
    let mut wr = enc.write_header()?;
    wr.write_image_data(labels)?;
    Ok(())
}

/// The photo with class colours blended in at `opacity`.
pub fn overlay(photo: &RgbImage, labels: &[u8], classes: &[ClassInfo], opacity: f32) -> RgbImage {
    let mut out = photo.clone();
    for (p, &l) in out.pixels_mut().zip(labels) {
        let c = classes[l as usize].colour;
        for (v, &cc) in p.0.iter_mut().zip(&c) {
            *v = (*v as f32 * (1.0 - opacity) + cc as f32 * opacity).round() as u8;
        }
    }
    out
}
