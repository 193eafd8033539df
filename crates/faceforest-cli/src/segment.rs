use crate::args::SegmentArgs;
use crate::CliResult;
use faceforest::{ClassInfo, Segmenter};
use image::RgbImage;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn run(a: SegmentArgs) -> CliResult {
    check_unique_names(&a.photos, &a.output)?;
    let (bytes, name) = model_bytes(a.model.as_deref())?;
    let seg = Segmenter::from_bytes(&bytes).map_err(|e| format!("{name}: {e}"))?;
    if a.output.exists() && !a.output.is_dir() {
        return Err(format!(
            "the output folder {} is an existing file; give a folder with -o",
            a.output.display()
        )
        .into());
    }
    std::fs::create_dir_all(&a.output).map_err(|e| {
        format!(
            "cannot create the output folder {}: {e}",
            a.output.display()
        )
    })?;
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
    // Decoded under the input limits (format, size, orientation, transparency) with
    // the core's messages; gray photos and panoramas are refused, not labelled wrong.
    let bytes = read_regular(path)?;
    let photo = faceforest::limits::decode_rgb(&bytes)?;
    faceforest::limits::check_colour(photo.as_raw(), 3)?;
    faceforest::limits::check_aspect(photo.width(), photo.height())?;
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

/// Photos with the same file name (a/face.png, b/face.png) would write the same
/// output files: refused before anything is written.
fn check_unique_names(photos: &[PathBuf], out: &Path) -> CliResult {
    let mut seen: HashMap<String, &Path> = HashMap::new();
    for p in photos {
        let stem = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(first) = seen.insert(stem.clone(), p) {
            return Err(format!(
                "{} and {} would both write {stem}.labels.png in {}; rename one or segment them in separate runs (nothing was written)",
                first.display(),
                p.display(),
                out.display()
            )
            .into());
        }
    }
    Ok(())
}

/// The bytes of the model file given, else of the built-in shipped model, and the name
/// errors call it by.
pub fn model_bytes(path: Option<&Path>) -> CliResult<(Cow<'static, [u8]>, String)> {
    match path {
        Some(p) => {
            let bytes = read_regular(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((Cow::Owned(bytes), p.display().to_string()))
        }
        None => Ok((
            Cow::Borrowed(crate::SHIPPED_MODEL),
            "the built-in shipped model".into(),
        )),
    }
}

/// The file's bytes, refusing anything but a regular file: a named pipe would block
/// the read forever, a device never end.
pub fn read_regular(path: &Path) -> CliResult<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(
            "not a regular file (a folder, named pipe or device); give a photo file".into(),
        );
    }
    Ok(std::fs::read(path)?)
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
