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
        let s1 = s + 1;
        // One summed-area table per photo class.
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
        let mut out = Array2::<f32>::zeros((self.n_features(), s * s));
        let mut xr = vec![(0usize, 0usize); s];
        let mut yr = vec![(0usize, 0usize); s];
        for (k, &(dx, dy, win)) in self.samples.iter().enumerate() {
            let r = (win / 2) as isize;
            let range = |v: usize, d: i16| {
                let c = (v as isize + d as isize).clamp(0, s as isize - 1);
                ((c - r).max(0) as usize, ((c + r + 1) as usize).min(s))
            };
            for v in 0..s {
                xr[v] = range(v, dx);
                yr[v] = range(v, dy);
            }
            for c in 0..NUM_PHOTO_CLASSES {
                let t = &sat[c * s1 * s1..(c + 1) * s1 * s1];
                let mut plane = out.row_mut(k * NUM_PHOTO_CLASSES + c);
                let o = plane
                    .as_slice_mut()
                    .expect("rows of a standard array are contiguous");
                for (y, &(y0, y1)) in yr.iter().enumerate() {
                    let (top, bottom) = (&t[y0 * s1..(y0 + 1) * s1], &t[y1 * s1..(y1 + 1) * s1]);
                    for (x, &(x0, x1)) in xr.iter().enumerate() {
                        let area = ((x1 - x0) * (y1 - y0)) as f32;
                        o[y * s + x] = (bottom[x1] - top[x1] - bottom[x0] + top[x0]) / area;
                    }
                }
            }
        }
        out
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
    }
}
