//! Auto-context: a later forest stage reads the previous stage's class probabilities
//! around each pixel. The probabilities are box-averaged (integral images) over a
//! window that grows with the offset, then sampled at a fixed ring of offsets, so a
//! pixel "sees" where the eyes, nose and hair were found around it.

use crate::classes::{NUM_CLASSES, NUM_PHOTO_CLASSES};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Where and how widely a context stage samples the previous probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextLayout {
    /// (dx, dy, window) in square pixels; window 1 samples the pixel itself.
    pub samples: Vec<(i16, i16, u16)>,
}

impl ContextLayout {
    /// The centre plus eight directions at two radii, about S/16 and S/5.
    pub fn ring(size: u32) -> ContextLayout {
        let mut samples = vec![(0, 0, 1)];
        for r in [(size / 16).max(2), (size / 5).max(4)] {
            let d = (r as f32 * std::f32::consts::FRAC_1_SQRT_2).round() as i16;
            let r = r as i16;
            let window = (r as u16 / 2).max(3) | 1;
            for (dx, dy) in [
                (r, 0),
                (d, d),
                (0, r),
                (-d, d),
                (-r, 0),
                (-d, -d),
                (0, -r),
                (d, -d),
            ] {
                samples.push((dx, dy, window));
            }
        }
        ContextLayout { samples }
    }

    pub fn n_features(&self) -> usize {
        self.samples.len() * NUM_PHOTO_CLASSES
    }

    pub fn names(&self) -> Vec<String> {
        let classes = &crate::classes::CLASS_NAMES[..NUM_PHOTO_CLASSES];
        self.samples
            .iter()
            .flat_map(|(dx, dy, _)| classes.iter().map(move |c| format!("p_{c}@{dx},{dy}")))
            .collect()
    }

    /// Context planes (`n_features × size²`) from square probabilities
    /// (`size²` rows of [`NUM_CLASSES`]). Samples outside the square are clamped.
    pub fn planes(&self, probs: &[f32], size: u32) -> Array2<f32> {
        let s = size as usize;
        let sampler = Sampler::new(self, probs, s);
        let mut out = Array2::<f32>::zeros((self.n_features(), s * s));
        for y in 0..s {
            sampler.row(y, |x, j, v| out[[j, y * s + x]] = v);
        }
        out
    }

    /// The same values as [`ContextLayout::planes`], quantised by `bin` straight into
    /// row-major feature rows (`stride` bytes per pixel, from column `first`): no
    /// float planes to allocate at inference, and image rows run in parallel.
    pub fn quantise_into(
        &self,
        probs: &[f32],
        size: u32,
        rows: &mut [u8],
        stride: usize,
        first: usize,
        bin: impl Fn(usize, f32) -> u8 + Sync,
    ) {
        let s = size as usize;
        let sampler = Sampler::new(self, probs, s);
        crate::par::for_chunks_mut(rows, s * stride, |y, chunk| {
            sampler.row(y, |x, j, v| chunk[x * stride + first + j] = bin(j, v));
        });
    }
}

/// Summed-area tables of the photo-class probabilities plus each sample's clamped
/// box per column and row: one place computes every context value, so training and
/// inference see bit-identical numbers.
struct Sampler {
    s: usize,
    sat: Vec<f32>,
    /// Per sample: (x0, x1) for every column, (y0, y1) for every row.
    xr: Vec<Vec<(usize, usize)>>,
    yr: Vec<Vec<(usize, usize)>>,
}

impl Sampler {
    fn new(layout: &ContextLayout, probs: &[f32], s: usize) -> Sampler {
        let s1 = s + 1;
        let mut sat = vec![0f32; NUM_PHOTO_CLASSES * s1 * s1];
        for c in 0..NUM_PHOTO_CLASSES {
            let t = &mut sat[c * s1 * s1..(c + 1) * s1 * s1];
            for y in 0..s {
                let mut row = 0f32;
                for x in 0..s {
                    row += probs[(y * s + x) * NUM_CLASSES + c];
                    t[(y + 1) * s1 + x + 1] = t[y * s1 + x + 1] + row;
                }
            }
        }
        let ranges = |d: i16, r: isize| -> Vec<(usize, usize)> {
            (0..s)
                .map(|v| {
                    let c = (v as isize + d as isize).clamp(0, s as isize - 1);
                    ((c - r).max(0) as usize, ((c + r + 1) as usize).min(s))
                })
                .collect()
        };
        let xr = layout
            .samples
            .iter()
            .map(|&(dx, _, w)| ranges(dx, (w / 2) as isize))
            .collect();
        let yr = layout
            .samples
            .iter()
            .map(|&(_, dy, w)| ranges(dy, (w / 2) as isize))
            .collect();
        Sampler { s, sat, xr, yr }
    }

    /// Calls `put(x, feature, value)` for every pixel of image row `y`.
    #[inline]
    fn row(&self, y: usize, mut put: impl FnMut(usize, usize, f32)) {
        let s1 = self.s + 1;
        for (k, (xr, yr)) in self.xr.iter().zip(&self.yr).enumerate() {
            let (y0, y1) = yr[y];
            for c in 0..NUM_PHOTO_CLASSES {
                let t = &self.sat[c * s1 * s1..(c + 1) * s1 * s1];
                let (top, bottom) = (&t[y0 * s1..(y0 + 1) * s1], &t[y1 * s1..(y1 + 1) * s1]);
                for (x, &(x0, x1)) in xr.iter().enumerate() {
                    let area = ((x1 - x0) * (y1 - y0)) as f32;
                    put(
                        x,
                        k * NUM_PHOTO_CLASSES + c,
                        (bottom[x1] - top[x1] - bottom[x0] + top[x0]) / area,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_shifted_box_means() {
        // 8x8 square: class 2 (hair) probability 1 in column 6 only, skin elsewhere.
        let s = 8;
        let mut probs = vec![0f32; s * s * NUM_CLASSES];
        for y in 0..s {
            for x in 0..s {
                probs[(y * s + x) * NUM_CLASSES + if x == 6 { 2 } else { 1 }] = 1.0;
            }
        }
        let layout = ContextLayout {
            samples: vec![(0, 0, 1), (2, 0, 1), (0, 0, 3)],
        };
        let p = layout.planes(&probs, s as u32);
        let at = |k: usize, c: usize, x: usize, y: usize| p[[k * NUM_PHOTO_CLASSES + c, y * s + x]];
        assert_eq!(at(0, 2, 6, 3), 1.0);
        assert_eq!(
            at(1, 2, 4, 3),
            1.0,
            "two to the right of x=4 is the hair column"
        );
        assert_eq!(at(1, 2, 6, 3), 0.0, "x=8 clamps to x=7");
        assert!(
            (at(2, 2, 5, 3) - 1.0 / 3.0).abs() < 1e-6,
            "3x3 box around x=5 covers one hair column"
        );
        assert!(
            (at(2, 1, 5, 0) - 2.0 / 3.0).abs() < 1e-6,
            "box clipped at the top edge"
        );
        assert_eq!(layout.names()[7 + 2], "p_hair@2,0");
        // Direct quantisation writes the same values (here scaled to bytes) into rows.
        let stride = 2 + layout.n_features();
        let mut rows = vec![0u8; s * s * stride];
        layout.quantise_into(&probs, s as u32, &mut rows, stride, 2, |_, v| {
            (v * 240.0) as u8
        });
        for px in 0..s * s {
            for j in 0..layout.n_features() {
                assert_eq!(rows[px * stride + 2 + j], (p[[j, px]] * 240.0) as u8);
            }
            assert_eq!(rows[px * stride], 0);
        }
    }
}
