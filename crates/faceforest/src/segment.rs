//! The application entry point: a [`Segmenter`] built from model bytes labels every
//! pixel of a photo at the photo's own resolution.

use crate::classes::ClassInfo;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::prep::square::{square_photo, unsquare_probs, SquareGeometry};
use image::RgbImage;

/// Photos larger than this (in pixels) are refused rather than allocated blindly.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

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

    /// Segments straight RGBA bytes (as in a browser `ImageData`); alpha is ignored.
    pub fn segment_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        with_probs: bool,
    ) -> Result<Segmentation> {
        check_dims(width, height)?;
        let expected = 4 * width as u64 * height as u64;
        if rgba.len() as u64 != expected {
            return Err(Error::InvalidImage(format!(
                "RGBA buffer holds {} bytes but {width}×{height} needs {expected}",
                rgba.len()
            )));
        }
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
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
        let (sq, g) = square_photo(img, self.model.size);
        (self.model.predict_square(&sq), g)
    }
}

pub fn check_dims(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidImage(format!(
            "the image is {width}×{height}; it must be at least 1×1"
        )));
    }
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(Error::InvalidImage(format!(
            "the image is {width}×{height} ({:.0} megapixels); at most {} megapixels are accepted",
            width as f64 * height as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
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
    fn colourise_applies_opacity_and_hiding() {
        let classes = default_class_infos();
        let rgba = colourise(&[1, 2, 9], &classes, 0.5, &[false, false, true]);
        assert_eq!(&rgba[..4], &[255, 255, 0, 128]);
        assert_eq!(&rgba[4..8], &[0, 0, 0, 0]);
        assert_eq!(&rgba[8..], &[0, 0, 0, 0]);
    }

    #[test]
    fn dims_are_checked() {
        assert!(check_dims(0, 5).is_err());
        assert!(check_dims(30000, 30000)
            .unwrap_err()
            .to_string()
            .contains("megapixels"));
        assert!(check_dims(1, 1).is_ok());
    }
}
