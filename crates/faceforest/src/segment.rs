//! The application entry point: a [`Segmenter`] built from model bytes labels every
//! pixel of a photo at the photo's own resolution.

use crate::classes::ClassInfo;
use crate::error::Result;
use crate::model::Model;
use crate::prep::square::{
    resize_bilinear_antialiased, square_photo, unsquare_probs, SquareGeometry,
};
use image::RgbImage;

/// Photos larger than this (in pixels) are refused rather than allocated blindly.
pub use crate::limits::MAX_PIXELS;

pub struct Segmenter {
    model: Model,
}

/// Labels (class ids, row-major) at the input's resolution; probabilities, if
/// asked for, are `width*height` rows of the seven photo classes.
#[derive(Clone, Debug)]
pub struct Segmentation {
    pub width: u32,
    pub height: u32,
    pub labels: Vec<u8>,
    pub probabilities: Option<Vec<f32>>,
}

impl Segmenter {
    pub fn from_bytes(bytes: &[u8]) -> Result<Segmenter> {
        Ok(Segmenter {
            model: Model::from_bytes(bytes)?,
        })
    }

    pub fn new(model: Model) -> Result<Segmenter> {
        model.validate()?;
        Ok(Segmenter { model })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn classes(&self) -> &[ClassInfo] {
        &self.model.classes
    }

    /// Segments straight RGBA bytes (as in a browser `ImageData`). Transparent pixels
    /// are composited over [`crate::limits::BACKGROUND`], as `limits::decode_rgb`
    /// does; a fully transparent image is refused.
    pub fn segment_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        with_probs: bool,
    ) -> Result<Segmentation> {
        crate::limits::check_rgba(rgba.len(), width, height)?;
        crate::limits::check_not_transparent(rgba)?;
        // In row bands on all threads: for a large photo this copy is a fair part of
        // the work that would otherwise run on one thread.
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        let band = width as usize * 3 * 64;
        crate::par::for_chunks_mut(&mut rgb, band, |i, out| {
            let src = &rgba[i * band / 3 * 4..];
            for (o, p) in out.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                o.copy_from_slice(&crate::limits::composite([p[0], p[1], p[2], p[3]]));
            }
        });
        let img = RgbImage::from_raw(width, height, rgb).expect("length checked");
        self.segment(&img, with_probs)
    }

    pub fn segment(&self, img: &RgbImage, with_probs: bool) -> Result<Segmentation> {
        check_dims(img.width(), img.height())?;
        let (probs, g) = self.square_probs(img);
        let (labels, probabilities) = unsquare_probs(&probs, &g, with_probs);
        Ok(Segmentation {
            width: img.width(),
            height: img.height(),
            labels,
            probabilities,
        })
    }

    /// Class probabilities over the padded square (`S*S` rows of all classes).
    pub fn square_probs(&self, img: &RgbImage) -> (Vec<f32>, SquareGeometry) {
        let size = self.model.size;
        let k = prefilter_factor(img.width(), img.height(), size);
        if k < 2 {
            let (sq, g) = square_photo(img, size);
            return (self.model.predict_square(&sq), g);
        }
        // A very large photo: box-average it by k first, then square as usual.
        // The geometry stays the photo's own, so labels map back to every pixel.
        let g = SquareGeometry::new(img.width(), img.height(), size);
        let small = box_shrink(img, k);
        let scaled = resize_bilinear_antialiased(&small, g.scaled_width, g.scaled_height);
        let mut sq = RgbImage::new(size, size);
        image::imageops::replace(&mut sq, &scaled, g.offset_x as i64, g.offset_y as i64);
        (self.model.predict_square(&sq), g)
    }
}

/// Box-averaging factor for photos whose longest side exceeds 16 square sides: the
/// anti-aliasing blur of `square_photo` grows with the shrink factor (σ = 135 px for
/// a 50-megapixel photo into a 32-px square, minutes of work), while averaging
/// k×k blocks first costs one pass and leaves a blur of σ ≤ 7.5 to do. Photos up to
/// 16 S (every FASSEG photo, the demo's 2048-px working size at S = 128) are untouched.
pub fn prefilter_factor(width: u32, height: u32, size: u32) -> u32 {
    let longest = width.max(height);
    if longest > 16 * size {
        longest / (8 * size)
    } else {
        1
    }
}

/// Mean of each k×k block (partial blocks at the right and bottom edges averaged
/// over the pixels they have).
pub fn box_shrink(img: &RgbImage, k: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let (nw, nh) = (w.div_ceil(k), h.div_ceil(k));
    let mut out = vec![0u8; (nw * nh * 3) as usize];
    crate::par::for_chunks_mut(&mut out, (nw * 3) as usize, |by, row| {
        let y0 = by as u32 * k;
        let y1 = (y0 + k).min(h);
        let mut acc = vec![0u32; (nw * 3) as usize];
        for y in y0..y1 {
            for x in 0..w {
                let p = img.get_pixel(x, y).0;
                let o = (x / k * 3) as usize;
                acc[o] += p[0] as u32;
                acc[o + 1] += p[1] as u32;
                acc[o + 2] += p[2] as u32;
            }
        }
        for bx in 0..nw {
            let n = (y1 - y0) * ((bx * k + k).min(w) - bx * k);
            for c in 0..3 {
                let i = (bx * 3) as usize + c;
                row[i] = ((acc[i] + n / 2) / n) as u8;
            }
        }
    });
    RgbImage::from_raw(nw, nh, out).expect("sized above")
}

/// Size within the input limits ([`crate::limits::check_size`]).
pub fn check_dims(width: u32, height: u32) -> Result<()> {
    crate::limits::check_size(width, height)
}

/// RGBA overlay of a label map: each class in its colour at `opacity` (0–1), classes
/// whose `hidden` flag is set fully transparent.
pub fn colourise(labels: &[u8], classes: &[ClassInfo], opacity: f32, hidden: &[bool]) -> Vec<u8> {
    let a = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    let mut out = Vec::with_capacity(labels.len() * 4);
    for &l in labels {
        let l = l as usize;
        match classes.get(l) {
            Some(c) if !hidden.get(l).copied().unwrap_or(false) => {
                out.extend([c.colour[0], c.colour[1], c.colour[2], a])
            }
            _ => out.extend([0, 0, 0, 0]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::default_class_infos;

    #[test]
    fn box_shrink_averages_blocks() {
        let img = RgbImage::from_fn(5, 3, |x, _| image::Rgb([x as u8 * 10, 100, 0]));
        let s = box_shrink(&img, 2);
        assert_eq!(s.dimensions(), (3, 2));
        assert_eq!(s.get_pixel(0, 0).0, [5, 100, 0]);
        assert_eq!(s.get_pixel(2, 1).0, [40, 100, 0]);
        assert_eq!(prefilter_factor(2048, 1365, 128), 1);
        assert_eq!(prefilter_factor(8660, 5773, 128), 8);
    }

    #[test]
    fn colourise_applies_opacity_and_hiding() {
        let classes = default_class_infos();
        let rgba = colourise(&[1, 2, 9], &classes, 0.5, &[false, false, true]);
        assert_eq!(&rgba[..4], &[255, 255, 0, 128]);
        assert_eq!(&rgba[4..8], &[0, 0, 0, 0]);
        assert_eq!(&rgba[8..], &[0, 0, 0, 0]);
    }
}
