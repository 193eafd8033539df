//! Input limits, in one place: the largest and smallest image accepted, the file
//! formats read, and a decoder that checks the declared size before allocating.
//!
//! The CLI, the wasm bindings (`limits()`), the fuzz targets and the browser package
//! (`web/lib/limits.js`, which mirrors these numbers and messages; a browser test
//! compares the two) all read them from here. Every refusal says what was wrong and
//! what is accepted.

use crate::error::{Error, Result};

/// Largest image accepted, in pixels (a 64-megapixel photo: 256 MB as RGBA).
/// Above it memory, not accuracy, is the limit: the model works at `S×S` anyway.
pub const MAX_PIXELS: u64 = 64_000_000;
/// Longest side accepted, so that a 1-pixel-high strip cannot reach `MAX_PIXELS`.
pub const MAX_SIDE: u32 = 32_768;
/// Smallest side accepted: below this there is no face to find, and the features
/// (HOG cells, context windows) see only padding.
pub const MIN_SIDE: u32 = 16;
/// Most memory the image decoder may hold at once (the `image` crate's own default,
/// stated here so that it cannot change under us).
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// File formats the decoder reads (and the demo page accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Webp,
}

pub const FORMATS: [Format; 3] = [Format::Png, Format::Jpeg, Format::Webp];
/// For messages: "PNG, JPEG or WebP".
pub const ACCEPTED: &str = "PNG, JPEG or WebP";

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
            Format::Webp => "WebP",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
        }
    }

    #[cfg(feature = "decode")]
    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Webp => image::ImageFormat::WebP,
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::InvalidImage(msg)
}

/// Width and height within [`MIN_SIDE`], [`MAX_SIDE`] and [`MAX_PIXELS`].
pub fn check_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(invalid(format!(
            "the image is {width}×{height}; it must be at least {MIN_SIDE}×{MIN_SIDE} pixels"
        )));
    }
    let pixels = width as u64 * height as u64;
    if pixels > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(invalid(format!(
            "the image is {width}×{height} ({}); at most {} megapixels and {MAX_SIDE} pixels a side are accepted",
            megapixels(pixels),
            MAX_PIXELS / 1_000_000
        )));
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(invalid(format!(
            "the image is {width}×{height}; it must be at least {MIN_SIDE}×{MIN_SIDE} pixels"
        )));
    }
    Ok(())
}

fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1e6;
    if mp >= 10.0 {
        format!("{mp:.0} megapixels")
    } else {
        format!("{mp:.1} megapixels")
    }
}

/// An RGBA buffer of `len` bytes for a `width×height` image (as a browser
/// `ImageData` holds): the size within limits and the length exact.
pub fn check_rgba(len: usize, width: u32, height: u32) -> Result<()> {
    let expected = 4 * width as u64 * height as u64;
    if len as u64 != expected {
        return Err(invalid(format!(
            "data holds {len} bytes but {width}×{height} RGBA needs {expected}"
        )));
    }
    check_size(width, height)
}

/// The accepted format these bytes start with, or a refusal naming what they look
/// like (a PDF, a HEIC photo, a GIF, ...) and what is accepted.
pub fn sniff(bytes: &[u8]) -> Result<Format> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if bytes.is_empty() {
        return Err(invalid(format!(
            "the file is empty (0 bytes); accepted formats: {ACCEPTED}"
        )));
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(Format::Webp);
    }
    let what = describe_other(bytes);
    Err(invalid(format!("{what}; accepted formats: {ACCEPTED}")))
}

/// Whether the file ends where its format says it should. Decoders fill a cut-off
/// JPEG or PNG with grey and report success; a truncated upload must be refused.
pub fn check_complete(format: Format, bytes: &[u8]) -> Result<()> {
    let last = |pat: &[u8]| bytes.windows(pat.len()).rposition(|w| w == pat);
    let why = match format {
        Format::Png if last(b"\0\0\0\0IEND").is_none() => "no IEND chunk at its end",
        Format::Jpeg if last(&[0xFF, 0xD9]) <= last(&[0xFF, 0xDA]) => {
            "no end-of-image marker after the image data"
        }
        Format::Webp
            if bytes.len() < 12
                || u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as u64 + 8
                    > bytes.len() as u64 =>
        {
            "it is shorter than its RIFF header says"
        }
        _ => return Ok(()),
    };
    Err(invalid(format!(
        "the {} file is truncated ({why})",
        format.name()
    )))
}

/// What a file that is not an accepted image seems to be.
fn describe_other(b: &[u8]) -> String {
    let starts = |m: &[u8]| b.starts_with(m);
    let brand = if b.len() >= 12 && &b[4..8] == b"ftyp" {
        Some(&b[8..12])
    } else {
        None
    };
    let named = match brand {
        Some(b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1") => {
            Some("a HEIC/HEIF photo")
        }
        Some(b"avif" | b"avis") => Some("an AVIF image"),
        Some(_) => Some("a video or MP4-family file"),
        None if starts(b"GIF87a") || starts(b"GIF89a") => Some("a GIF image"),
        None if starts(b"BM") => Some("a BMP image"),
        None if starts(b"II*\0") || starts(b"MM\0*") => Some("a TIFF image"),
        None if starts(b"%PDF") => Some("a PDF document"),
        None if starts(b"PK\x03\x04") => Some("a ZIP archive (or an Office document)"),
        None if starts(crate::model::MAGIC) => Some("a faceforest model"),
        None if starts(b"<svg") || starts(b"<?xml") => Some("an SVG/XML document"),
        None => None,
    };
    match named {
        Some(n) => format!("the file is {n}, not a {ACCEPTED} image"),
        None => {
            let head: Vec<String> = b.iter().take(4).map(|x| format!("{x:02x}")).collect();
            format!(
                "the file is not a {ACCEPTED} image (it starts with bytes {})",
                head.join(" ")
            )
        }
    }
}

/// Longest-to-shortest side ratio the whole-photo route (`faceforest segment`)
/// accepts: the photo is shrunk whole into the model's square, so in an 8000×300
/// strip a face would be a few pixels high.
pub const MAX_ASPECT: f64 = 4.0;

/// Colour of the background transparent pixels are composited over, on every route
/// (CLI decode, `Segmenter::segment_rgba` and so the wasm bindings): white, as the
/// photo shows on a white page.
pub const BACKGROUND: [u8; 3] = [255, 255, 255];

/// A pixel whose R, G and B spread by at most this much counts as gray (JPEG
/// rounding leaves a gray photo's channels within a few levels of each other).
pub const GRAY_SPREAD: u8 = 8;

/// Aspect ratio within [`MAX_ASPECT`] (for routes that segment the whole photo).
pub fn check_aspect(width: u32, height: u32) -> Result<()> {
    let (long, short) = (width.max(height) as f64, width.min(height).max(1) as f64);
    if long / short > MAX_ASPECT {
        return Err(invalid(format!(
            "the photo is {width}×{height} ({:.1}:1); segmented whole, a face in it would be shrunk to a few pixels — crop it around the face to at most {MAX_ASPECT}:1",
            long / short
        )));
    }
    Ok(())
}

/// One straight-alpha RGBA pixel composited over [`BACKGROUND`].
pub fn composite(p: [u8; 4]) -> [u8; 3] {
    let a = p[3] as u32;
    let mix = |c: u8, b: u8| ((c as u32 * a + b as u32 * (255 - a) + 127) / 255) as u8;
    [
        mix(p[0], BACKGROUND[0]),
        mix(p[1], BACKGROUND[1]),
        mix(p[2], BACKGROUND[2]),
    ]
}

/// An image whose every pixel has alpha 0 shows nothing: refused.
pub fn check_not_transparent(rgba: &[u8]) -> Result<()> {
    if !rgba.is_empty() && rgba.chunks_exact(4).all(|p| p[3] == 0) {
        return Err(invalid(
            "the image is fully transparent (every pixel has alpha 0); there is nothing to segment"
                .into(),
        ));
    }
    Ok(())
}

/// Refuses a grayscale photo: the model was trained on colour and labels a gray one
/// as background and hair only. `pixels` holds `channels` bytes a pixel (3 or 4;
/// R, G, B first). Gray means fewer than 0.2% of pixels spread over [`GRAY_SPREAD`].
pub fn check_colour(pixels: &[u8], channels: usize) -> Result<()> {
    let n = pixels.len() / channels.max(3);
    let coloured = pixels
        .chunks_exact(channels.max(3))
        .filter(|p| p[0].max(p[1]).max(p[2]) - p[0].min(p[1]).min(p[2]) > GRAY_SPREAD)
        .count();
    if n > 0 && coloured * 500 < n {
        return Err(invalid(
            "the photo is grayscale (black and white); the model was trained on colour photos and finds no skin or face parts in gray ones — use a colour photo".into(),
        ));
    }
    Ok(())
}

/// Decodes a PNG, JPEG or WebP file to RGB: the format is sniffed, the declared
/// size checked against the limits before any pixel is allocated, and the decoder
/// itself runs under `image::Limits` (side and memory caps). The EXIF orientation is
/// applied (as browsers do), and transparent pixels are composited over
/// [`BACKGROUND`]; a fully transparent image is refused.
#[cfg(feature = "decode")]
pub fn decode_rgb(bytes: &[u8]) -> Result<image::RgbImage> {
    use image::{DynamicImage, ImageDecoder, ImageReader};
    use std::io::Cursor;

    let format = sniff(bytes)?;
    let reader = |sides: Option<u32>| {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format.image_format());
        let mut limits = image::Limits::default();
        limits.max_image_width = sides;
        limits.max_image_height = sides;
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        r.limits(limits);
        r
    };
    let failed = |e: image::ImageError| decode_error(format, e);
    // The header alone first: a 60-byte file may declare 30000×30000 pixels.
    let (w, h) = reader(None).into_dimensions().map_err(|e| {
        // A file cut inside its header: the site's wording, not the decoder's.
        match check_complete(format, bytes) {
            Err(_) => invalid(format!(
                "the {} file is truncated (it ends before the image data does)",
                format.name()
            )),
            Ok(()) => failed(e),
        }
    })?;
    check_size(w, h)?;
    check_complete(format, bytes)?;
    let mut decoder = reader(Some(MAX_SIDE)).into_decoder().map_err(failed)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(failed)?;
    img.apply_orientation(orientation);
    if !img.color().has_alpha() {
        return Ok(img.to_rgb8());
    }
    let rgba = img.to_rgba8();
    check_not_transparent(rgba.as_raw())?;
    let rgb = rgba.pixels().flat_map(|p| composite(p.0)).collect();
    Ok(image::RgbImage::from_raw(rgba.width(), rgba.height(), rgb).expect("sized from rgba"))
}

#[cfg(feature = "decode")]
fn decode_error(format: Format, e: image::ImageError) -> Error {
    use image::ImageError as E;
    let f = format.name();
    invalid(match e {
        E::Limits(l) => format!(
            "decoding this {f} file would need more memory than allowed ({} MB): {l}",
            MAX_DECODE_BYTES >> 20
        ),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("the {f} file is truncated (it ends before the image data does)")
        }
        E::Unsupported(u) => format!("this kind of {f} file is not supported: {u}"),
        other => format!("the {f} file is truncated or corrupt: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_with_what_is_accepted() {
        assert_eq!(
            check_size(0, 5).unwrap_err().to_string(),
            "invalid image: the image is 0×5; it must be at least 16×16 pixels"
        );
        assert_eq!(
            check_size(1, 1).unwrap_err().to_string(),
            "invalid image: the image is 1×1; it must be at least 16×16 pixels"
        );
        assert_eq!(
            check_size(30000, 30000).unwrap_err().to_string(),
            "invalid image: the image is 30000×30000 (900 megapixels); at most 64 megapixels and 32768 pixels a side are accepted"
        );
        assert!(check_size(40000, 16).is_err(), "side over MAX_SIDE");
        assert!(check_size(16, 16).is_ok());
        assert!(check_size(8660, 5773).is_ok(), "50 megapixels");
    }

    #[test]
    fn rgba_length_is_exact() {
        assert_eq!(
            check_rgba(10, 4, 4).unwrap_err().to_string(),
            "invalid image: data holds 10 bytes but 4×4 RGBA needs 64"
        );
        assert!(check_rgba(4 * 16 * 16, 16, 16).is_ok());
    }

    #[test]
    fn other_files_are_named() {
        let msg = |b: &[u8]| sniff(b).unwrap_err().to_string();
        assert_eq!(
            msg(b""),
            "invalid image: the file is empty (0 bytes); accepted formats: PNG, JPEG or WebP"
        );
        assert!(msg(b"%PDF-1.7 ...")
            .contains("the file is a PDF document, not a PNG, JPEG or WebP image"));
        assert!(msg(b"\0\0\0\x18ftypheic\0\0\0\0").contains("HEIC"));
        assert!(msg(b"GIF89a....").contains("a GIF image"));
        assert!(msg(b"hello world").contains("(it starts with bytes 68 65 6c 6c)"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n").unwrap(), Format::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
    }
}
