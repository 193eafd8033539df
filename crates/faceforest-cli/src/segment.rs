use crate::args::SegmentArgs;
use crate::CliResult;
use faceforest::{ClassInfo, Segmenter};
use faceforest_frame::{crop_for, segment_framed, DetectOptions, FaceBox, FaceDetector, Overhang};
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
    let framing = if a.whole {
        Framing::Whole
    } else if let Some([x, y, w, h]) = a.face_box {
        Framing::Box(FaceBox::new(x, y, w, h))
    } else {
        let (bytes, name) = match &a.face_model {
            Some(p) => (
                read_regular(p).map_err(|e| format!("{}: {e}", p.display()))?,
                p.display().to_string(),
            ),
            None => (
                crate::SHIPPED_DETECTOR.to_vec(),
                "the built-in face detector".into(),
            ),
        };
        let det = FaceDetector::from_model_bytes(&bytes).map_err(|e| format!("{name}: {e}"))?;
        Framing::Detect(det, a.face as usize)
    };
    let mut failed = 0;
    for path in &a.photos {
        match segment_one(&seg, &framing, path, &a.output, a.opacity) {
            Ok((ms, how)) => eprintln!("{}: {how}, {ms:.1} ms", path.display()),
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

/// How `segment` frames each photo.
enum Framing {
    /// The whole picture, as it is.
    Whole,
    /// Around this face box (placed by hand).
    Box(FaceBox),
    /// Around the n-th detected face (1 = the largest).
    Detect(FaceDetector, usize),
}

/// Segments one photo and writes its two PNGs; returns the time taken and how the
/// photo was framed.
fn segment_one(
    seg: &Segmenter,
    framing: &Framing,
    path: &Path,
    out: &Path,
    opacity: f32,
) -> CliResult<(f64, String)> {
    // Decoded under the input limits (format, size, orientation, transparency) with
    // the core's messages; gray photos are refused, not labelled wrong.
    let bytes = read_regular(path)?;
    let photo = faceforest::limits::decode_rgb(&bytes)?;
    faceforest::limits::check_colour(photo.as_raw(), 3)?;
    let t0 = std::time::Instant::now();
    let (w, h) = (photo.width(), photo.height());
    let (face, how) = match framing {
        Framing::Whole => (None, "the whole picture".to_string()),
        Framing::Box(b) => (Some(*b), "the face box given".to_string()),
        Framing::Detect(det, n) => {
            let faces = det.detect(&photo, &DetectOptions::default())?;
            match faces.get(n - 1) {
                Some(f) => (Some(*f), format!("face {n} of {}", faces.len())),
                None if faces.is_empty() => {
                    return Err("no face found; segment the whole picture with --whole, or place a face box by hand with --box X,Y,W,H".into())
                }
                None => {
                    return Err(format!(
                        "--face {n} asked for, but {} face(s) were found",
                        faces.len()
                    )
                    .into())
                }
            }
        }
    };
    let labels = match face {
        None => {
            // A strip is refused here: without a crop the model sees a squashed face.
            faceforest::limits::check_aspect(w, h)?;
            seg.segment(&photo, false)?.labels
        }
        Some(f) => {
            if f.x >= w as f32 || f.y >= h as f32 || f.x + f.w <= 0.0 || f.y + f.h <= 0.0 {
                return Err(format!(
                    "the face box at ({}, {}), {}×{}, lies entirely outside the {w}×{h} photo",
                    f.x, f.y, f.w, f.h
                )
                .into());
            }
            let crop = crop_for(&f, w, h);
            segment_framed(seg, &photo, &crop, Overhang::default())?.labels
        }
    };
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    write_label_png(
        &out.join(format!("{stem}.labels.png")),
        w,
        h,
        &labels,
        seg.classes(),
    )?;
    overlay(&photo, &labels, seg.classes(), opacity)
        .save(out.join(format!("{stem}.overlay.png")))?;
    Ok((ms, how))
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
