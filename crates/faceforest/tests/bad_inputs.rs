//! Hostile and broken inputs to the core, each refused with its own message (the
//! messages are quoted in docs/reliability.md): image files through the decoder under
//! the input limits, RGBA buffers, and model files. A counting allocator checks that
//! a file declaring a huge image is refused before its pixels are allocated.

use faceforest::limits::{decode_rgb, MAX_PIXELS};
use faceforest::synthetic::{face, small_model};
use faceforest::{Error, Model, Segmenter};
use image::ImageFormat;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// System allocator that records the largest single allocation since the last reset.
struct Counting;
static LARGEST: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}
#[global_allocator]
static ALLOC: Counting = Counting;
/// Tests measuring `LARGEST` run one at a time.
static MEASURE: Mutex<()> = Mutex::new(());

fn encode(img: &image::RgbImage, fmt: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), fmt)
        .unwrap();
    out
}

fn message(bytes: &[u8]) -> String {
    match decode_rgb(bytes) {
        Ok(img) => panic!("decoded a {}×{} image", img.width(), img.height()),
        Err(e) => e.to_string(),
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

/// A 65-byte PNG whose header declares `w`×`h` RGB pixels (valid CRCs, one empty
/// IDAT): what a decoder that trusts headers would allocate for.
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn truncated_png_and_jpeg() {
    let photo = face(120, 160, 1).photo;
    let png = encode(&photo, ImageFormat::Png);
    let jpeg = encode(&photo, ImageFormat::Jpeg);
    let m = message(&png[..png.len() / 2]);
    eprintln!("PNG cut in half: {m}");
    assert!(
        m.starts_with("invalid image: the PNG file is truncated"),
        "{m}"
    );
    let m = message(&jpeg[..jpeg.len() / 2]);
    eprintln!("JPEG cut in half: {m}");
    assert!(
        m.starts_with("invalid image: the JPEG file is truncated"),
        "{m}"
    );
    // Cut inside the header too.
    let m = message(&png[..20]);
    eprintln!("PNG cut at 20 bytes: {m}");
    assert!(
        m.starts_with("invalid image: the PNG file is truncated"),
        "{m}"
    );
    // The whole files decode.
    assert_eq!(decode_rgb(&png).unwrap(), photo);
    assert_eq!(decode_rgb(&jpeg).unwrap().dimensions(), (120, 160));
}

#[test]
fn empty_and_non_image_files() {
    assert_eq!(
        message(b""),
        "invalid image: the file is empty (0 bytes); accepted formats: PNG, JPEG or WebP"
    );
    assert_eq!(
        message(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        "invalid image: the file is a PDF document, not a PNG, JPEG or WebP image; accepted formats: PNG, JPEG or WebP"
    );
    assert_eq!(
        message(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        "invalid image: the file is a HEIC/HEIF photo, not a PNG, JPEG or WebP image; accepted formats: PNG, JPEG or WebP"
    );
    assert_eq!(
        message(b"Just some text, renamed to photo.png\n"),
        "invalid image: the file is not a PNG, JPEG or WebP image (it starts with bytes 4a 75 73 74); accepted formats: PNG, JPEG or WebP"
    );
}

#[test]
fn one_pixel_image() {
    let one = encode(&image::RgbImage::new(1, 1), ImageFormat::Png);
    assert_eq!(
        message(&one),
        "invalid image: the image is 1×1; it must be at least 16×16 pixels"
    );
    // And as raw RGBA at the API.
    let seg = Segmenter::new(small_model()).unwrap();
    let e = seg.segment_rgba(&[1, 2, 3, 255], 1, 1, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid image: the image is 1×1; it must be at least 16×16 pixels"
    );
}

#[test]
fn a_file_declaring_30000_by_30000_pixels_is_refused_before_allocating() {
    let bytes = png_declaring(30000, 30000);
    assert_eq!(bytes.len(), 65);
    let _one = MEASURE.lock().unwrap();
    LARGEST.store(0, Ordering::Relaxed);
    let m = message(&bytes);
    let largest = LARGEST.load(Ordering::Relaxed);
    assert_eq!(
        m,
        "invalid image: the image is 30000×30000 (900 megapixels); at most 64 megapixels and 32768 pixels a side are accepted"
    );
    // 900 megapixels of RGB would be 2.7 GB; the refusal allocates next to nothing.
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
    // Within the pixel limit but an empty IDAT: the decoder reports the missing data.
    let m = message(&png_declaring(4000, 3000));
    eprintln!("PNG declaring 4000×3000 without data: {m}");
    assert!(m.starts_with("invalid image: the PNG file is"), "{m}");
}

#[test]
fn a_50_megapixel_photo_is_decoded_and_segmented() {
    // 8660×5773 = 50.0 megapixels, a real-size JPEG (a synthetic face scaled up).
    let (w, h) = (8660, 5773);
    let small = face(433, 289, 5).photo;
    let big = image::imageops::resize(&small, w, h, image::imageops::FilterType::Nearest);
    let jpeg = encode(&big, ImageFormat::Jpeg);
    drop(big);
    assert!((w * h) as u64 <= MAX_PIXELS);
    let img = decode_rgb(&jpeg).expect("50 megapixels are within the limits");
    assert_eq!(img.dimensions(), (w, h));
    let seg = Segmenter::new(small_model()).unwrap();
    let s = seg.segment(&img, false).unwrap();
    assert_eq!(s.labels.len(), (w * h) as usize);
    assert!(s.labels.contains(&1), "some skin");
}

#[test]
fn rgba_buffers_are_checked() {
    let seg = Segmenter::new(small_model()).unwrap();
    let e = seg.segment_rgba(&[], 0, 0, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid image: the image is 0×0; it must be at least 16×16 pixels"
    );
    let e = seg
        .segment_rgba(&vec![0; 4 * 20 * 20 - 1], 20, 20, false)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid image: data holds 1599 bytes but 20×20 RGBA needs 1600"
    );
    assert!(seg
        .segment_rgba(&vec![90; 4 * 20 * 20], 20, 20, false)
        .is_ok());
}

#[test]
fn model_truncated_at_10_random_points() {
    let bytes = small_model().to_bytes();
    // Fixed seed, so the ten points are the same on every run (and in the docs).
    let mut state = 0x5eed_u64;
    let mut cuts = Vec::new();
    for _ in 0..10 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        cuts.push((state >> 33) as usize % bytes.len());
    }
    for cut in cuts {
        let e = Model::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(matches!(e, Error::CorruptModel(_)), "cut at {cut}: {e}");
        assert_eq!(
            e.to_string(),
            "model file is truncated or corrupt: the file ends before the model does (cut short, e.g. an incomplete download)"
        );
        eprintln!("cut at {cut} of {}: {e}", bytes.len());
    }
}

#[test]
fn model_with_a_newer_version() {
    let mut bytes = small_model().to_bytes();
    bytes[8..10].copy_from_slice(&(faceforest::model::FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(
        Model::from_bytes(&bytes).unwrap_err().to_string(),
        format!(
            "model format version {} is newer than this build understands (up to {}); update faceforest",
            faceforest::model::FORMAT_VERSION + 1,
            faceforest::model::FORMAT_VERSION
        )
    );
}

#[test]
fn model_from_another_feature_configuration() {
    let mut m = small_model();
    m.features.context.push(25); // the forest was trained without this window
    let e = Model::from_bytes(&m.to_bytes()).unwrap_err();
    assert!(matches!(e, Error::MismatchedModel(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "model does not match this build of faceforest: its feature configuration gives 22 features but its forest was trained on 18; it was made by another version or feature configuration — retrain it or use the matching faceforest"
    );
}

#[test]
fn a_non_model_file_as_model() {
    let png = encode(&face(20, 20, 1).photo, ImageFormat::Png);
    assert_eq!(
        Model::from_bytes(&png).unwrap_err().to_string(),
        "not a faceforest model (the file does not start with the FACEFRST magic bytes)"
    );
    assert_eq!(
        Model::from_bytes(b"").unwrap_err().to_string(),
        "model file is truncated or corrupt: the file is empty"
    );
}

/// A phone photo tagged orientation 6 or 8 decodes upright, as browsers show it.
#[test]
fn exif_orientation_is_applied() {
    use faceforest::synthetic::with_exif_orientation;
    let jpeg = encode(&face(64, 48, 4).photo, ImageFormat::Jpeg);
    let stored = decode_rgb(&jpeg).unwrap();
    assert_eq!(stored.dimensions(), (64, 48));
    let six = decode_rgb(&with_exif_orientation(&jpeg, 6)).unwrap();
    assert_eq!(six.dimensions(), (48, 64));
    assert_eq!(six, image::imageops::rotate90(&stored));
    let eight = decode_rgb(&with_exif_orientation(&jpeg, 8)).unwrap();
    assert_eq!(eight, image::imageops::rotate270(&stored));
    assert_eq!(
        decode_rgb(&with_exif_orientation(&jpeg, 1)).unwrap(),
        stored
    );
}

#[test]
fn a_jpeg_cut_inside_its_header_says_truncated() {
    let jpeg = encode(&face(64, 48, 4).photo, ImageFormat::Jpeg);
    assert_eq!(
        message(&jpeg[..100]),
        "invalid image: the JPEG file is truncated (it ends before the image data does)"
    );
}

/// Transparent pixels are composited over white on both routes (file and RGBA);
/// a fully transparent image is refused.
#[test]
fn transparency_has_one_rule() {
    let photo = face(40, 40, 5).photo;
    let mut rgba = image::RgbaImage::from_fn(40, 40, |x, y| {
        let p = photo.get_pixel(x, y).0;
        image::Rgba([p[0], p[1], p[2], if x < 20 { 0 } else { 255 }])
    });
    let png = {
        let mut out = Vec::new();
        rgba.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    };
    let flat = decode_rgb(&png).unwrap();
    assert_eq!(
        flat.get_pixel(3, 3).0,
        [255, 255, 255],
        "hidden under alpha 0"
    );
    assert_eq!(flat.get_pixel(30, 3), photo.get_pixel(30, 3), "opaque kept");
    let seg = Segmenter::new(small_model()).unwrap();
    assert_eq!(
        seg.segment_rgba(rgba.as_raw(), 40, 40, false)
            .unwrap()
            .labels,
        seg.segment(&flat, false).unwrap().labels
    );
    for p in rgba.pixels_mut() {
        p.0[3] = 0;
    }
    let want = "invalid image: the image is fully transparent (every pixel has alpha 0); there is nothing to segment";
    let mut empty = Vec::new();
    rgba.write_to(&mut std::io::Cursor::new(&mut empty), ImageFormat::Png)
        .unwrap();
    assert_eq!(message(&empty), want);
    let e = seg.segment_rgba(rgba.as_raw(), 40, 40, false).unwrap_err();
    assert_eq!(e.to_string(), want);
}

#[test]
fn grayscale_photos_are_detected() {
    use faceforest::limits::check_colour;
    let photo = face(64, 64, 6).photo;
    assert!(check_colour(photo.as_raw(), 3).is_ok());
    let gray = image::DynamicImage::ImageRgb8(photo.clone()).to_luma8();
    // Gray stored as a gray JPEG, and as a colour JPEG of a gray image.
    for fmt in [ImageFormat::Jpeg, ImageFormat::Png] {
        let mut bytes = Vec::new();
        gray.write_to(&mut std::io::Cursor::new(&mut bytes), fmt)
            .unwrap();
        let rgb = decode_rgb(&bytes).unwrap();
        assert_eq!(
            check_colour(rgb.as_raw(), 3).unwrap_err().to_string(),
            "invalid image: the photo is grayscale (black and white); the model was trained on colour photos and finds no skin or face parts in gray ones — use a colour photo"
        );
    }
    let gray_rgb = image::DynamicImage::ImageLuma8(gray).to_rgb8();
    let rgb = decode_rgb(&encode(&gray_rgb, ImageFormat::Jpeg)).unwrap();
    assert!(check_colour(rgb.as_raw(), 3).is_err());
    let rgba: Vec<u8> = photo
        .pixels()
        .flat_map(|p| [p.0[0], p.0[1], p.0[2], 255])
        .collect();
    assert!(check_colour(&rgba, 4).is_ok());
}

#[test]
fn panoramas_are_refused_on_the_whole_photo_route() {
    use faceforest::limits::check_aspect;
    assert_eq!(
        check_aspect(8000, 300).unwrap_err().to_string(),
        "invalid image: the photo is 8000×300 (26.7:1); segmented whole, a face in it would be shrunk to a few pixels — crop it around the face to at most 4:1"
    );
    assert!(check_aspect(300, 8000).is_err());
    assert!(check_aspect(400, 100).is_ok());
    assert!(check_aspect(512, 400).is_ok());
}
