//! Per-pixel features as planes: one `f32` plane per feature, `S*S` values each.
//!
//! [`FeatureConfig`] is the single description of the features; it is stored in
//! every model file and is the only thing training and inference both read, so
//! they cannot drift apart.

pub mod autocontext;
pub mod colour;
pub mod context;
pub mod hog;
pub mod location;

use crate::error::{Error, Result};
use image::RgbImage;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

pub use colour::ColourSpace;
pub use hog::HogConfig;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Colour channels of the pixel itself.
    pub colour: Vec<ColourSpace>,
    /// Normalised x and y in the square.
    pub location: bool,
    /// HOG of the cell containing the pixel, one entry per scale.
    pub hog: Vec<HogConfig>,
    /// Window sizes (pixels of the square) for local colour/texture statistics.
    pub context: Vec<u32>,
}

impl Default for FeatureConfig {
    /// The seed's features: RGB, location, HOG with 10 px cells and 9 orientations.
    fn default() -> Self {
        FeatureConfig {
            colour: vec![ColourSpace::Rgb],
            location: true,
            hog: vec![HogConfig::default()],
            context: vec![],
        }
    }
}

impl FeatureConfig {
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for c in &self.colour {
            names.extend(c.channel_names().iter().map(|s| s.to_string()));
        }
        if self.location {
            names.push("x".into());
            names.push("y".into());
        }
        for h in &self.hog {
            let tag = if h.colour { "chog" } else { "hog" };
            names.extend((0..h.orientations).map(|o| format!("{tag}{}_{}", h.cell, o)));
        }
        for &w in &self.context {
            names.extend(context::names(w));
        }
        names
    }

    pub fn n_features(&self) -> usize {
        self.colour
            .iter()
            .map(|c| c.channel_names().len())
            .sum::<usize>()
            + if self.location { 2 } else { 0 }
            + self
                .hog
                .iter()
                .map(|h| h.orientations as usize)
                .sum::<usize>()
            + self.context.len() * context::PER_WINDOW
    }

    pub fn validate(&self) -> Result<()> {
        let n = self.n_features();
        if n == 0 {
            return Err(Error::InvalidConfig(
                "the feature configuration selects no features".into(),
            ));
        }
        if n > 250 {
            return Err(Error::InvalidConfig(format!(
                "{n} features; at most 250 are supported"
            )));
        }
        if self.context.iter().any(|&w| w < 2) {
            return Err(Error::InvalidConfig(
                "context windows must be at least 2 px".into(),
            ));
        }
        for h in &self.hog {
            if h.cell == 0 || h.orientations == 0 || h.orientations > 36 {
                return Err(Error::InvalidConfig(format!(
                    "HOG cell {} px with {} orientations: the cell must be ≥ 1 px and orientations 1–36",
                    h.cell, h.orientations
                )));
            }
        }
        Ok(())
    }

    /// Computes all feature planes of a (square) image: shape `(n_features, w*h)`.
    /// Colour and location run beside the gradient features (HOG, context).
    pub fn compute(&self, img: &RgbImage) -> Array2<f32> {
        let n = (img.width() * img.height()) as usize;
        let mut planes = Array2::<f32>::zeros((self.n_features(), n));
        let pointwise: usize = self
            .colour
            .iter()
            .map(|c| c.channel_names().len())
            .sum::<usize>()
            + if self.location { 2 } else { 0 };
        let (mut first, rest) = planes.view_mut().split_at(ndarray::Axis(0), pointwise);
        crate::par::join(
            || {
                let mut row = 0;
                for c in &self.colour {
                    let k = c.channel_names().len();
                    colour::fill(*c, img, first.slice_mut(ndarray::s![row..row + k, ..]));
                    row += k;
                }
                if self.location {
                    location::fill(
                        img.width(),
                        img.height(),
                        first.slice_mut(ndarray::s![row..row + 2, ..]),
                    );
                }
            },
            || self.compute_gradients(img, rest),
        );
        planes
    }

    /// HOG and context planes, in that order, side by side.
    fn compute_gradients(&self, img: &RgbImage, planes: ndarray::ArrayViewMut2<f32>) {
        if self.hog.is_empty() && self.context.is_empty() {
            return;
        }
        let gray = colour::gray_plane(img);
        let n_hog: usize = self.hog.iter().map(|h| h.orientations as usize).sum();
        let (mut hog_planes, ctx_planes) = planes.split_at(ndarray::Axis(0), n_hog);
        crate::par::join(
            || {
                let rgb: Vec<Vec<f32>> = if self.hog.iter().any(|h| h.colour) {
                    (0..3)
                        .map(|c| img.pixels().map(|p| p.0[c] as f32).collect())
                        .collect()
                } else {
                    vec![]
                };
                let mut row = 0;
                for h in &self.hog {
                    let k = h.orientations as usize;
                    let channels: Vec<&[f32]> = if h.colour {
                        rgb.iter().map(|v| v.as_slice()).collect()
                    } else {
                        vec![&gray]
                    };
                    hog::fill(
                        h,
                        &channels,
                        img.width(),
                        img.height(),
                        hog_planes.slice_mut(ndarray::s![row..row + k, ..]),
                    );
                    row += k;
                }
            },
            || {
                if !self.context.is_empty() {
                    context::fill(
                        &self.context,
                        img.as_raw(),
                        &gray,
                        img.width(),
                        img.height(),
                        ctx_planes,
                    );
                }
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_config_has_fourteen_named_features() {
        let c = FeatureConfig::default();
        assert_eq!(c.n_features(), 14);
        assert_eq!(c.names()[..5], ["r", "g", "b", "x", "y"]);
        let img = RgbImage::from_pixel(30, 30, image::Rgb([10, 20, 30]));
        let p = c.compute(&img);
        assert_eq!(p.dim(), (14, 900));
        assert_eq!(p[[1, 17]], 20.0);
    }
}
