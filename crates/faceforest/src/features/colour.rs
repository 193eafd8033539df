//! Colour channels: grayscale, RGB (0–255 as the seed), CIE Lab and HSV.

use image::RgbImage;
use ndarray::ArrayViewMut2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColourSpace {
    Gray,
    Rgb,
    /// CIE L*a*b* (D65): perceptual distances, lightness apart from chroma.
    Lab,
    /// Hue, saturation, value, each 0–1.
    Hsv,
}

impl ColourSpace {
    pub fn channel_names(self) -> &'static [&'static str] {
        match self {
            ColourSpace::Gray => &["gray"],
            ColourSpace::Rgb => &["r", "g", "b"],
            ColourSpace::Lab => &["lab_l", "lab_a", "lab_b"],
            ColourSpace::Hsv => &["hue", "sat", "val"],
        }
    }
}

/// ITU-R 601 luma, 0–255.
pub fn luma(p: [u8; 3]) -> f32 {
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

pub fn gray_plane(img: &RgbImage) -> Vec<f32> {
    img.pixels().map(|p| luma(p.0)).collect()
}

pub fn fill(space: ColourSpace, img: &RgbImage, mut out: ArrayViewMut2<f32>) {
    for (i, p) in img.pixels().enumerate() {
        let v = convert(space, p.0);
        for (c, value) in v.iter().take(out.nrows()).enumerate() {
            out[[c, i]] = *value;
        }
    }
}

pub fn convert(space: ColourSpace, p: [u8; 3]) -> [f32; 3] {
    match space {
        ColourSpace::Gray => [luma(p), 0.0, 0.0],
        ColourSpace::Rgb => [p[0] as f32, p[1] as f32, p[2] as f32],
        ColourSpace::Lab => lab(p),
        ColourSpace::Hsv => hsv(p),
    }
}

/// Linear light of each 8-bit sRGB value, computed once (the same numbers as
/// [`srgb_formula`], without three `powf` per pixel).
fn srgb_to_linear(c: u8) -> f32 {
    static TABLE: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|i| srgb_formula(i as u8)))[c as usize]
}

fn srgb_formula(c: u8) -> f32 {
    let c = c as f32 / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

pub fn lab(p: [u8; 3]) -> [f32; 3] {
    let [r, g, b] = p.map(srgb_to_linear);
    let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    let y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    let z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
    let f = |t: f32| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

pub fn hsv(p: [u8; 3]) -> [f32; 3] {
    let [r, g, b] = p.map(|c| c as f32 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let h = if d == 0.0 {
        0.0
    } else if max == r {
        ((g - b) / d).rem_euclid(6.0) / 6.0
    } else if max == g {
        ((b - r) / d + 2.0) / 6.0
    } else {
        ((r - g) / d + 4.0) / 6.0
    };
    let s = if max == 0.0 { 0.0 } else { d / max };
    [h, s, max]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_conversions() {
        let white = lab([255, 255, 255]);
        assert!((white[0] - 100.0).abs() < 0.01 && white[1].abs() < 0.01 && white[2].abs() < 0.01);
        let red = lab([255, 0, 0]);
        assert!(
            (red[0] - 53.24).abs() < 0.05
                && (red[1] - 80.09).abs() < 0.1
                && (red[2] - 67.20).abs() < 0.1
        );
        assert_eq!(hsv([0, 255, 0]), [1.0 / 3.0, 1.0, 1.0]);
        assert_eq!(hsv([255, 0, 255])[0], 5.0 / 6.0);
        assert_eq!(luma([100, 100, 100]), 100.0);
    }
}
