//! From a detected face box to the FASSEG framing, and back.

use crate::detect::FaceBox;
use crate::error::FrameError;
use image::{imageops, RgbImage};

/// The crop's shape. FASSEG photos are all 512 px tall; frontal02 widths are
/// 294-454 px (70 photos, 51 of them 370 px; mean 371.5 on test), multipose01
/// 385-425 px. 363:512 is the nominal frontal aspect; on the framing benchmark a
/// 370- or 400-wide crop did slightly worse (honest accuracy -0.1 and -0.3 points).
pub const TRAIN_WIDTH: u32 = 363;
pub const TRAIN_HEIGHT: u32 = 512;
/// Crop width / height.
pub const CROP_ASPECT: f32 = TRAIN_WIDTH as f32 / TRAIN_HEIGHT as f32;

// The framing constants, in units of the detected box side `s` (BlazeFace's box,
// which runs from the brows to the chin).
//
// Measured with `cargo run --release -p faceforest-frame --example fit_framing`
// (BlazeFace short range, DetectOptions::default()) on every photo of
// frontal02/train (20), frontal02/test (50) and multipose01 poses 0, +15, -15 (42):
// 112 photos, one face found in each. For each photo the photo rectangle was
// expressed relative to its box side s: H / s and (photo centre - box centre) / s.
// The height, not the width, is the scale reference because multipose01 photos are
// 385-425 px wide but all 512 px tall; the crop width follows from the 363:512
// training aspect. Means over the 112 photos (sd, median):
//   H / s                      1.647  (sd 0.144, median 1.644)   frontal02 train 1.646, test 1.689, multipose 1.597
//   (photo cx - box cx) / s   -0.015  (sd 0.032, median -0.013)
//   (photo cy - box cy) / s   -0.233  (sd 0.053, median -0.245)
// The detected box as a fraction of the photo: x 0.109, y 0.335, w 0.806 (of W),
// h 0.612 (of H).
/// Crop height in detected-box sides.
pub const CROP_HEIGHT: f32 = 1.647;
/// Crop centre minus box centre, horizontally, in box sides.
pub const CROP_CENTRE_DX: f32 = -0.015;
/// Crop centre minus box centre, vertically, in box sides (positive = down).
pub const CROP_CENTRE_DY: f32 = -0.233;

/// Extra scale applied to the measured framing in [`ideal_crop`] / [`crop_for`].
///
/// FASSEG's own framing varies from photo to photo (H / s has sd 0.144, about 9%),
/// and the two ways of getting it wrong are not equal: a crop smaller than the
/// photo loses everything outside it (pasted back as background: on frontal02 test
/// 15-30% of a photo's pixels, half of them hair or skin), while a slightly larger
/// crop only makes the face a little smaller than in training, which the forest
/// tolerates. Tuned on the *training* photos (frontal02/train + multipose01 0/±15
/// pasted into 1280×720 canvases, `measure_framing --photos train --scales ...`):
/// honest accuracy 0.854 at ×1.0, 0.873 ×1.05, 0.884 ×1.1, 0.887 ×1.15 (best),
/// 0.886 ×1.2, 0.874 ×1.3. (Tuned with the earlier SeetaFace detector, whose box
/// varied a little more from photo to photo: sd of H / s 10% against 9% now.)
pub const CROP_MARGIN: f32 = 1.15;

/// A crop rectangle in an image's pixels. It may overhang the image (negative
/// `x`/`y`, or extending past the right/bottom edge). `angle` turns it about its
/// centre (radians, positive = clockwise on screen): the crop's rows then run along
/// the face's eye line, so a tilted head reaches the segmenter upright.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CropRect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
    pub angle: f32,
}

impl CropRect {
    /// An upright crop.
    pub fn upright(x: i32, y: i32, w: u32, h: u32) -> CropRect {
        CropRect {
            x,
            y,
            w,
            h,
            angle: 0.0,
        }
    }

    /// The crop's centre in image pixels.
    pub fn centre(&self) -> (f64, f64) {
        (
            self.x as f64 + self.w as f64 / 2.0,
            self.y as f64 + self.h as f64 / 2.0,
        )
    }

    /// Image position of the crop-local point (`u`, `v`) (pixels from the crop's
    /// top-left corner, before any resizing).
    pub fn to_image(&self, u: f64, v: f64) -> (f64, f64) {
        let (cx, cy) = self.centre();
        let (sin, cos) = (self.angle as f64).sin_cos();
        let (du, dv) = (u - self.w as f64 / 2.0, v - self.h as f64 / 2.0);
        (cx + du * cos - dv * sin, cy + du * sin + dv * cos)
    }

    /// Crop-local position of the image point (`x`, `y`): the inverse of `to_image`.
    pub fn to_crop(&self, x: f64, y: f64) -> (f64, f64) {
        let (cx, cy) = self.centre();
        let (sin, cos) = (self.angle as f64).sin_cos();
        let (dx, dy) = (x - cx, y - cy);
        (
            dx * cos + dy * sin + self.w as f64 / 2.0,
            -dx * sin + dy * cos + self.h as f64 / 2.0,
        )
    }

    /// The image-axis bounding box of the (turned) crop: x0, y0, x1, y1.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let corners = [
            self.to_image(0.0, 0.0),
            self.to_image(self.w as f64, 0.0),
            self.to_image(0.0, self.h as f64),
            self.to_image(self.w as f64, self.h as f64),
        ];
        corners.iter().fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
        )
    }

    /// The same crop scaled by `f` about its centre (aspect kept).
    pub fn scaled(&self, f: f32) -> CropRect {
        let (cx, cy) = (
            self.x as f32 + self.w as f32 / 2.0,
            self.y as f32 + self.h as f32 / 2.0,
        );
        let w = (self.w as f32 * f).round().max(1.0);
        let h = (self.h as f32 * f).round().max(1.0);
        CropRect {
            x: (cx - w / 2.0).round() as i32,
            y: (cy - h / 2.0).round() as i32,
            w: w as u32,
            h: h as u32,
            angle: self.angle,
        }
    }

    /// Whether any part of the crop lies outside a `img_w`×`img_h` image.
    pub fn overhangs(&self, img_w: u32, img_h: u32) -> bool {
        let (x0, y0, x1, y1) = self.bounds();
        let eps = 1e-6;
        x0 < -eps || y0 < -eps || x1 > img_w as f64 + eps || y1 > img_h as f64 + eps
    }
}

/// What to do where the crop leaves the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Overhang {
    /// Keep the crop where the face puts it and fill outside pixels by repeating
    /// the nearest edge pixel. The face keeps its trained position and scale and
    /// the fill looks like a continuation of the background. On the framing
    /// benchmark (`examples/measure_framing.rs`, 50 test photos in 1280×720
    /// canvases, 16 crops overhanging) honest accuracy was 0.8903 for `PadEdge`,
    /// 0.8900 `PadBlack`, 0.8882 `Shift` (which moves the face off its trained
    /// position).
    #[default]
    PadEdge,
    /// Keep the crop where it is and fill outside pixels with black.
    PadBlack,
    /// Slide the crop back inside the image (same size, so the face moves off
    /// centre); along an axis where the crop is larger than the image it is
    /// centred and the rest padded by edge repetition.
    Shift,
}

/// The crop to segment around a face, wherever it falls (may overhang): the
/// measured training framing enlarged by [`CROP_MARGIN`].
pub fn ideal_crop(face: &FaceBox) -> CropRect {
    framing(face, CROP_MARGIN)
}

/// The measured FASSEG framing around a face (no margin): on a FASSEG photo this
/// is, on average, the photo itself.
pub fn training_framing(face: &FaceBox) -> CropRect {
    framing(face, 1.0)
}

/// The crop turns with the head once its roll (from the eye landmarks) exceeds
/// this; below it the crop stays upright, exactly as the training photos were cut
/// (FASSEG faces themselves lean by a few degrees).
pub const MIN_ROLL_DEGREES: f32 = 5.0;

fn framing(face: &FaceBox, margin: f32) -> CropRect {
    let s = face.side().max(1.0);
    let (bcx, bcy) = face.centre();
    let roll = face.roll();
    let angle = if roll.abs() >= MIN_ROLL_DEGREES.to_radians() {
        roll
    } else {
        0.0
    };
    // The offset from the box centre is measured on upright faces: it turns with
    // the head.
    let (sin, cos) = angle.sin_cos();
    let (dx, dy) = (CROP_CENTRE_DX * s, CROP_CENTRE_DY * s);
    let cx = bcx + dx * cos - dy * sin;
    let cy = bcy + dx * sin + dy * cos;
    let h = (CROP_HEIGHT * margin * s).round().max(2.0);
    let w = (h * CROP_ASPECT).round().max(1.0);
    CropRect {
        x: (cx - w / 2.0).round() as i32,
        y: (cy - h / 2.0).round() as i32,
        w: w as u32,
        h: h as u32,
        angle,
    }
}

/// The crop to segment for `face` in a `img_w`×`img_h` image, with the default
/// overhang policy ([`Overhang::PadEdge`]: the crop is returned as is).
pub fn crop_for(face: &FaceBox, img_w: u32, img_h: u32) -> CropRect {
    crop_for_with(face, img_w, img_h, Overhang::default())
}

/// [`crop_for`] with an explicit overhang policy.
pub fn crop_for_with(face: &FaceBox, img_w: u32, img_h: u32, overhang: Overhang) -> CropRect {
    let c = ideal_crop(face);
    if overhang == Overhang::Shift {
        shift_inside(&c, img_w, img_h)
    } else {
        c
    }
}

/// Slides a crop (same size) inside a `img_w`×`img_h` image; along an axis where it
/// is larger than the image it is centred.
pub fn shift_inside(c: &CropRect, img_w: u32, img_h: u32) -> CropRect {
    CropRect {
        x: shift_into(c.x, c.w, img_w),
        y: shift_into(c.y, c.h, img_h),
        ..*c
    }
}

fn shift_into(start: i32, len: u32, limit: u32) -> i32 {
    if len >= limit {
        -(((len - limit) / 2) as i32)
    } else {
        start.clamp(0, (limit - len) as i32)
    }
}

/// Cuts `crop` out of `img`, filling pixels outside the image per `overhang`
/// (`Shift` behaves as `PadEdge` for whatever still overhangs), and resizes it
/// (bilinear) to at most `max_height` rows, keeping the crop's aspect. Returns the
/// crop image; its size may differ from the crop's, see [`paste_labels_scaled`].
pub fn extract_crop(
    img: &RgbImage,
    crop: &CropRect,
    overhang: Overhang,
    max_height: Option<u32>,
) -> RgbImage {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let mut out = RgbImage::new(crop.w.max(1), crop.h.max(1));
    let black = overhang == Overhang::PadBlack;
    if crop.angle != 0.0 {
        turned_crop(img, crop, black, &mut out);
        return fit_height(out, max_height);
    }
    for y in 0..out.height() {
        let sy = crop.y as i64 + y as i64;
        let y_in = (0..ih).contains(&sy);
        let cy = sy.clamp(0, ih - 1) as u32;
        for x in 0..out.width() {
            let sx = crop.x as i64 + x as i64;
            if black && !(y_in && (0..iw).contains(&sx)) {
                continue;
            }
            let cx = sx.clamp(0, iw - 1) as u32;
            out.put_pixel(x, y, *img.get_pixel(cx, cy));
        }
    }
    fit_height(out, max_height)
}

/// Resized (bilinear) to at most `max_height` rows, the aspect kept.
fn fit_height(out: RgbImage, max_height: Option<u32>) -> RgbImage {
    match max_height {
        Some(mh) if mh >= 1 && out.height() > mh => {
            let nh = mh;
            let nw = ((out.width() as f64 * mh as f64 / out.height() as f64).round() as u32).max(1);
            imageops::resize(&out, nw, nh, imageops::FilterType::Triangle)
        }
        _ => out,
    }
}

/// A turned crop: every crop pixel sampled bilinearly at its image position,
/// outside the image by repeating the edge (or black).
fn turned_crop(img: &RgbImage, crop: &CropRect, black: bool, out: &mut RgbImage) {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let px = |x: i64, y: i64| -> [f32; 3] {
        if black && !((0..iw).contains(&x) && (0..ih).contains(&y)) {
            return [0.0; 3];
        }
        let p = img
            .get_pixel(x.clamp(0, iw - 1) as u32, y.clamp(0, ih - 1) as u32)
            .0;
        [p[0] as f32, p[1] as f32, p[2] as f32]
    };
    for v in 0..out.height() {
        for u in 0..out.width() {
            let (x, y) = crop.to_image(u as f64 + 0.5, v as f64 + 0.5);
            let (x, y) = (x - 0.5, y - 0.5);
            let (x0, y0) = (x.floor(), y.floor());
            let (tx, ty) = ((x - x0) as f32, (y - y0) as f32);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let (a, b, c, d) = (
                px(x0, y0),
                px(x0 + 1, y0),
                px(x0, y0 + 1),
                px(x0 + 1, y0 + 1),
            );
            let mut o = [0u8; 3];
            for ch in 0..3 {
                let top = a[ch] + (b[ch] - a[ch]) * tx;
                let bot = c[ch] + (d[ch] - c[ch]) * tx;
                o[ch] = (top + (bot - top) * ty).round().clamp(0.0, 255.0) as u8;
            }
            out.put_pixel(u, v, image::Rgb(o));
        }
    }
}

/// Labels for the whole `img_w`×`img_h` image from labels of the crop at the
/// crop's own size (`crop.w*crop.h`, row-major). Outside the crop: 0 (background).
pub fn paste_labels(
    crop: &CropRect,
    crop_labels: &[u8],
    img_w: u32,
    img_h: u32,
) -> Result<Vec<u8>, FrameError> {
    paste_labels_scaled(crop, crop_labels, crop.w, crop.h, img_w, img_h)
}

/// [`paste_labels`] for labels computed at another size (`labels_w`×`labels_h`,
/// e.g. from a downscaled crop): each image pixel inside the crop takes the
/// nearest label.
pub fn paste_labels_scaled(
    crop: &CropRect,
    labels: &[u8],
    labels_w: u32,
    labels_h: u32,
    img_w: u32,
    img_h: u32,
) -> Result<Vec<u8>, FrameError> {
    if labels.len() as u64 != labels_w as u64 * labels_h as u64 || labels.is_empty() {
        return Err(FrameError::Labels(format!(
            "{} labels given for a {labels_w}×{labels_h} crop",
            labels.len()
        )));
    }
    let mut out = vec![0u8; img_w as usize * img_h as usize];
    for_each_crop_pixel(crop, labels_w, labels_h, img_w, img_h, |dst, src| {
        out[dst] = labels[src];
    })?;
    Ok(out)
}

/// Class probabilities of a crop (`labels_w`×`labels_h` pixels, `classes` values per
/// pixel, pixel-interleaved as the segmenter returns them) placed on the whole
/// `img_w`×`img_h` image as planes: `classes` planes of `img_w*img_h` back to back,
/// plane `k` holding class `k`'s probability at every pixel. Each image pixel takes
/// its crop pixel exactly as [`paste_labels_scaled`] picks it (the same mapping), so
/// the planes' argmax is the pasted label. Outside the crop, where the labels are
/// background: 1 in plane 0 (background), 0 in the others.
pub fn paste_probabilities_scaled(
    crop: &CropRect,
    probabilities: &[f32],
    classes: usize,
    labels_w: u32,
    labels_h: u32,
    img_w: u32,
    img_h: u32,
) -> Result<Vec<f32>, FrameError> {
    let cells = labels_w as u64 * labels_h as u64;
    if classes == 0 || probabilities.len() as u64 != cells * classes as u64 || cells == 0 {
        return Err(FrameError::Labels(format!(
            "{} probabilities given for a {labels_w}×{labels_h} crop of {classes} classes",
            probabilities.len()
        )));
    }
    let n = img_w as usize * img_h as usize;
    let mut out = vec![0f32; n * classes];
    out[..n].fill(1.0);
    for_each_crop_pixel(crop, labels_w, labels_h, img_w, img_h, |dst, src| {
        let p = &probabilities[src * classes..(src + 1) * classes];
        for (k, &v) in p.iter().enumerate() {
            out[k * n + dst] = v;
        }
    })?;
    Ok(out)
}

/// Pixel-interleaved probabilities (`classes` values per pixel, as the segmenter
/// returns them) as planes: `classes` planes of `pixels` values back to back.
pub fn probability_planes(probabilities: &[f32], classes: usize) -> Result<Vec<f32>, FrameError> {
    if classes == 0 || !probabilities.len().is_multiple_of(classes) {
        return Err(FrameError::Labels(format!(
            "{} probabilities are not whole pixels of {classes} classes",
            probabilities.len()
        )));
    }
    let n = probabilities.len() / classes;
    let mut out = vec![0f32; probabilities.len()];
    for (i, p) in probabilities.chunks_exact(classes).enumerate() {
        for (k, &v) in p.iter().enumerate() {
            out[k * n + i] = v;
        }
    }
    Ok(out)
}

/// The one mapping from a crop's results (at `labels_w`×`labels_h`) to the whole
/// image: calls `f(image_index, result_index)` for every image pixel under the crop
/// (turned or not), with the nearest result pixel. Pixels outside the crop are
/// left alone.
fn for_each_crop_pixel(
    crop: &CropRect,
    labels_w: u32,
    labels_h: u32,
    img_w: u32,
    img_h: u32,
    mut f: impl FnMut(usize, usize),
) -> Result<(), FrameError> {
    if crop.w == 0 || crop.h == 0 {
        return Err(FrameError::Labels("the crop is empty".into()));
    }
    if labels_w == 0 || labels_h == 0 {
        return Err(FrameError::Labels(format!(
            "the crop's results are {labels_w}×{labels_h}"
        )));
    }
    let (lw, lh) = (labels_w as usize, labels_h as usize);
    let (fx, fy) = (
        labels_w as f64 / crop.w as f64,
        labels_h as f64 / crop.h as f64,
    );
    if crop.angle != 0.0 {
        // Each image pixel under the turned crop takes the result at its crop position.
        let (bx0, by0, bx1, by1) = crop.bounds();
        let ys = (by0.floor().max(0.0) as u32)..(by1.ceil().min(img_h as f64).max(0.0) as u32);
        let xs = (bx0.floor().max(0.0) as u32)..(bx1.ceil().min(img_w as f64).max(0.0) as u32);
        for y in ys {
            for x in xs.clone() {
                let (u, v) = crop.to_crop(x as f64 + 0.5, y as f64 + 0.5);
                if u < 0.0 || v < 0.0 || u >= crop.w as f64 || v >= crop.h as f64 {
                    continue;
                }
                let lx = ((u * fx) as usize).min(lw - 1);
                let ly = ((v * fy) as usize).min(lh - 1);
                f(y as usize * img_w as usize + x as usize, ly * lw + lx);
            }
        }
        return Ok(());
    }
    let x0 = crop.x.max(0) as i64;
    let y0 = crop.y.max(0) as i64;
    let x1 = (crop.x as i64 + crop.w as i64).min(img_w as i64);
    let y1 = (crop.y as i64 + crop.h as i64).min(img_h as i64);
    if x0 >= x1 || y0 >= y1 {
        return Ok(());
    }
    let lx: Vec<usize> = (x0..x1)
        .map(|x| ((((x - crop.x as i64) as f64 + 0.5) * fx) as usize).min(lw - 1))
        .collect();
    for y in y0..y1 {
        let ly = ((((y - crop.y as i64) as f64 + 0.5) * fy) as usize).min(lh - 1);
        let row = y as usize * img_w as usize;
        for (x, &l) in (x0..x1).zip(&lx) {
            f(row + x as usize, ly * lw + l);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, y: f32, s: f32) -> FaceBox {
        FaceBox {
            x,
            y,
            w: s,
            h: s,
            score: 0.9,
            keypoints: None,
        }
    }

    #[test]
    fn crop_has_training_aspect_and_is_centred_on_the_face() {
        let f = face(400.0, 200.0, 200.0);
        let c = crop_for(&f, 1280, 720);
        assert!((c.h as f32 - CROP_HEIGHT * CROP_MARGIN * 200.0).abs() <= 1.0);
        assert!(
            ((c.w as f32 / c.h as f32) - CROP_ASPECT).abs() < 0.01,
            "{c:?}"
        );
        let (cx, cy) = (c.x as f32 + c.w as f32 / 2.0, c.y as f32 + c.h as f32 / 2.0);
        assert!(
            (cx - (500.0 + CROP_CENTRE_DX * 200.0)).abs() <= 1.0,
            "{c:?}"
        );
        assert!(
            (cy - (300.0 + CROP_CENTRE_DY * 200.0)).abs() <= 1.0,
            "{c:?}"
        );
        assert!(!c.overhangs(1280, 720));
        // The crop scales with the box.
        let c2 = crop_for(&face(400.0, 200.0, 100.0), 1280, 720);
        assert!((c2.h as f32 * 2.0 - c.h as f32).abs() <= 2.0);
    }

    #[test]
    fn inverse_of_fasseg_framing() {
        // A box where the detector puts it on a 363x512 FASSEG photo gives back about
        // that photo: box side 512/CROP_HEIGHT, centred (minus the measured offsets).
        let s = 512.0 / CROP_HEIGHT;
        let f = face(
            181.5 - s / 2.0 - CROP_CENTRE_DX * s,
            256.0 - s / 2.0 - CROP_CENTRE_DY * s,
            s,
        );
        let c = training_framing(&f);
        assert!(
            c.x.abs() <= 1
                && c.y.abs() <= 1
                && (c.w as i32 - 363).abs() <= 1
                && (c.h as i32 - 512).abs() <= 1,
            "{c:?}"
        );
    }

    #[test]
    fn overhang_policies() {
        let f = face(-50.0, -40.0, 200.0);
        let pad = crop_for_with(&f, 640, 480, Overhang::PadEdge);
        assert!(pad.x < 0 && pad.y < 0 && pad.overhangs(640, 480));
        assert_eq!(crop_for(&f, 640, 480), pad);
        let shifted = crop_for_with(&f, 640, 480, Overhang::Shift);
        assert_eq!(
            (shifted.x, shifted.y, shifted.w, shifted.h),
            (0, 0, pad.w, pad.h)
        );
        // Larger than the image along y: centred.
        let big = crop_for_with(&face(100.0, 100.0, 300.0), 640, 480, Overhang::Shift);
        assert!(big.h > 480);
        assert_eq!(big.y, -(((big.h - 480) / 2) as i32));
        // Right/bottom edges.
        let br = crop_for_with(&face(600.0, 400.0, 100.0), 640, 480, Overhang::Shift);
        assert_eq!((br.x + br.w as i32, br.y + br.h as i32), (640, 480));
    }

    fn test_image() -> RgbImage {
        RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 10, y as u8 * 10, 7]))
    }

    #[test]
    fn extract_pads_edge_or_black() {
        let img = test_image();
        let crop = CropRect {
            x: -1,
            y: -1,
            w: 3,
            h: 3,
            angle: 0.0,
        };
        let e = extract_crop(&img, &crop, Overhang::PadEdge, None);
        assert_eq!(e.dimensions(), (3, 3));
        assert_eq!(e.get_pixel(0, 0).0, [0, 0, 7]); // repeated corner
        assert_eq!(e.get_pixel(2, 0).0, [10, 0, 7]); // repeated top row
        assert_eq!(e.get_pixel(2, 2).0, [10, 10, 7]); // inside
        let b = extract_crop(&img, &crop, Overhang::PadBlack, None);
        assert_eq!(b.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(b.get_pixel(2, 0).0, [0, 0, 0]);
        assert_eq!(b.get_pixel(2, 2).0, [10, 10, 7]);
        let inside = extract_crop(
            &img,
            &CropRect {
                x: 1,
                y: 1,
                w: 3,
                h: 2,
                angle: 0.0,
            },
            Overhang::PadBlack,
            None,
        );
        assert_eq!(inside.get_pixel(2, 1).0, [30, 20, 7]);
        let small = extract_crop(
            &RgbImage::new(100, 100),
            &CropRect {
                x: 0,
                y: 0,
                w: 50,
                h: 80,
                angle: 0.0,
            },
            Overhang::PadEdge,
            Some(40),
        );
        assert_eq!(small.dimensions(), (25, 40));
    }

    #[test]
    fn paste_back_places_labels_and_zeroes_the_rest() {
        let crop = CropRect {
            x: -1,
            y: 1,
            w: 3,
            h: 2,
            angle: 0.0,
        };
        let labels = [1, 2, 3, 4, 5, 6];
        let full = paste_labels(&crop, &labels, 4, 4).unwrap();
        #[rustfmt::skip]
        assert_eq!(full, vec![
            0, 0, 0, 0,
            2, 3, 0, 0,
            5, 6, 0, 0,
            0, 0, 0, 0,
        ]);
        // Half-resolution labels cover the crop by nearest neighbour.
        let crop = CropRect {
            x: 1,
            y: 0,
            w: 2,
            h: 2,
            angle: 0.0,
        };
        let full = paste_labels_scaled(&crop, &[6], 1, 1, 3, 2).unwrap();
        assert_eq!(full, vec![0, 6, 6, 0, 6, 6]);
        // Crop fully outside: all background.
        let full = paste_labels(
            &CropRect {
                x: 10,
                y: 10,
                w: 1,
                h: 1,
                angle: 0.0,
            },
            &[3],
            4,
            4,
        )
        .unwrap();
        assert!(full.iter().all(|&l| l == 0));
        assert!(paste_labels(&crop, &[1, 2, 3], 3, 2).is_err());
    }

    #[test]
    fn extract_then_paste_is_identity_inside() {
        // Labels derived from crop pixels map back onto the same image pixels.
        let img = RgbImage::from_fn(9, 7, |x, y| image::Rgb([(x + 10 * y) as u8, 0, 0]));
        let crop = CropRect {
            x: 2,
            y: -2,
            w: 5,
            h: 6,
            angle: 0.0,
        };
        let c = extract_crop(&img, &crop, Overhang::PadEdge, None);
        let labels: Vec<u8> = c.pixels().map(|p| p.0[0]).collect();
        let back = paste_labels(&crop, &labels, 9, 7).unwrap();
        for y in 0..7u32 {
            for x in 0..9u32 {
                let inside = (2..7).contains(&x) && y < 4;
                let want = if inside { img.get_pixel(x, y).0[0] } else { 0 };
                assert_eq!(back[(y * 9 + x) as usize], want, "({x},{y})");
            }
        }
    }

    /// Argmax of each pixel's probabilities (first of equals), as the segmenter picks labels.
    fn argmax(p: &[f32]) -> u8 {
        let mut best = 0;
        for (k, &v) in p.iter().enumerate() {
            if v > p[best] {
                best = k;
            }
        }
        best as u8
    }

    #[test]
    fn pasted_planes_follow_the_pasted_labels() {
        // Crop results at another size than the crop (as from a downscaled crop), with
        // a different winning class per pixel.
        let (lw, lh, classes) = (7u32, 9u32, 7usize);
        let mut probs = Vec::new();
        for i in 0..(lw * lh) as usize {
            let win = (i * 5 + i / 3) % classes;
            let mut p: Vec<f32> = (0..classes).map(|k| 0.02 + 0.01 * k as f32).collect();
            p[win] = 0.5;
            let sum: f32 = p.iter().sum();
            probs.extend(p.iter().map(|v| v / sum));
        }
        let labels: Vec<u8> = probs.chunks_exact(classes).map(argmax).collect();
        let (iw, ih) = (40u32, 30u32);
        let upright = CropRect::upright(-3, 4, 20, 25);
        let turned = CropRect {
            x: 12,
            y: 2,
            w: 18,
            h: 24,
            angle: 0.4,
        };
        for crop in [upright, turned] {
            let pasted = paste_labels_scaled(&crop, &labels, lw, lh, iw, ih).unwrap();
            let planes =
                paste_probabilities_scaled(&crop, &probs, classes, lw, lh, iw, ih).unwrap();
            let n = (iw * ih) as usize;
            assert_eq!(planes.len(), n * classes);
            let (mut inside, mut outside) = (0, 0);
            for y in 0..ih {
                for x in 0..iw {
                    let i = (y * iw + x) as usize;
                    let p: Vec<f32> = (0..classes).map(|k| planes[k * n + i]).collect();
                    let sum: f32 = p.iter().sum();
                    assert!((sum - 1.0).abs() < 1e-5, "{crop:?} ({x},{y}) sums to {sum}");
                    assert_eq!(argmax(&p), pasted[i], "{crop:?} ({x},{y})");
                    let (u, v) = crop.to_crop(x as f64 + 0.5, y as f64 + 0.5);
                    if u >= 0.0 && v >= 0.0 && u < crop.w as f64 && v < crop.h as f64 {
                        inside += 1;
                    } else {
                        outside += 1;
                        assert_eq!(p[0], 1.0, "{crop:?} ({x},{y}) is outside the crop");
                        assert!(p[1..].iter().all(|&v| v == 0.0));
                    }
                }
            }
            // Both kinds of pixel were seen, and the crop's pixels are not all one class.
            assert!(
                inside > 200 && outside > 200,
                "{crop:?}: {inside} in, {outside} out"
            );
            let mut seen = pasted.clone();
            seen.sort();
            seen.dedup();
            assert!(seen.len() == classes, "{crop:?}: classes pasted {seen:?}");
        }
        // Wrong lengths are refused.
        assert!(
            paste_probabilities_scaled(&upright, &probs[1..], classes, lw, lh, iw, ih).is_err()
        );
        assert!(paste_probabilities_scaled(&upright, &probs, 0, lw, lh, iw, ih).is_err());
    }

    #[test]
    fn planes_of_interleaved_probabilities() {
        let p = [0.1, 0.9, 0.3, 0.7, 0.6, 0.4];
        assert_eq!(
            probability_planes(&p, 2).unwrap(),
            vec![0.1, 0.3, 0.6, 0.9, 0.7, 0.4]
        );
        assert!(probability_planes(&p, 4).is_err());
    }
}
