//! Clean-up of the forest's probabilities before they are mapped back to the photo.

pub mod parts;

use serde::{Deserialize, Serialize};

/// What runs on a model's square probabilities after the last stage. Stored in the
/// model so that every runtime (CLI, browser) cleans up the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PostProcess {
    /// Keep only the largest blob of each face part (see [`parts::keep_largest`]).
    pub largest_parts: bool,
    /// Box-average each class's probabilities over `2r+1` pixels square first
    /// (0: none), so lone pixels follow their neighbourhood.
    pub smooth: u8,
}

impl PostProcess {
    /// Applies the clean-up to `S*S` rows of `k` class probabilities.
    pub fn apply(&self, probs: &mut [f32], size: usize, k: usize) {
        if self.smooth > 0 {
            smooth(probs, size, k, self.smooth as usize);
        }
        if self.largest_parts {
            parts::keep_largest(probs, size, k, &parts::FACE_PARTS);
        }
    }
}

/// Separable box average of `s*s` rows of `k` values, the window clipped at the
/// square's edges.
fn smooth(probs: &mut [f32], s: usize, k: usize, r: usize) {
    let mut tmp = vec![0f32; probs.len()];
    // Rows, then columns: the same clipped running sum along each line.
    line_pass(probs, &mut tmp, s, k, r, true);
    line_pass(&tmp, probs, s, k, r, false);
}

fn line_pass(src: &[f32], dst: &mut [f32], s: usize, k: usize, r: usize, along_x: bool) {
    let at = |line: usize, i: usize| if along_x { line * s + i } else { i * s + line };
    let mut acc = vec![0f32; k];
    for line in 0..s {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for i in 0..r.min(s) {
            let p = at(line, i) * k;
            acc.iter_mut()
                .zip(&src[p..p + k])
                .for_each(|(a, v)| *a += v);
        }
        for i in 0..s {
            if i + r < s {
                let p = at(line, i + r) * k;
                acc.iter_mut()
                    .zip(&src[p..p + k])
                    .for_each(|(a, v)| *a += v);
            }
            if i > r {
                let p = at(line, i - r - 1) * k;
                acc.iter_mut()
                    .zip(&src[p..p + k])
                    .for_each(|(a, v)| *a -= v);
            }
            let n = ((i + r).min(s - 1) - i.saturating_sub(r) + 1) as f32;
            let p = at(line, i) * k;
            dst[p..p + k]
                .iter_mut()
                .zip(&acc)
                .for_each(|(d, a)| *d = a / n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_averages_a_clipped_window_and_keeps_sums() {
        let (s, k) = (5, 2);
        let mut p = vec![0f32; s * s * k];
        for i in 0..s * s {
            p[i * k] = 1.0;
        }
        // One pixel of class 1 in the corner.
        p[0] = 0.0;
        p[1] = 1.0;
        smooth(&mut p, s, k, 1);
        // Corner window is 2×2: a quarter of class 1.
        assert!((p[1] - 0.25).abs() < 1e-6);
        // (1,1)'s window is 3×3 and holds the corner: a ninth.
        let i = (s + 1) * k;
        assert!((p[i + 1] - 1.0 / 9.0).abs() < 1e-6);
        // Far away nothing changes, and every row still sums to one.
        assert!(p[(4 * s + 4) * k + 1].abs() < 1e-6);
        for row in p.chunks_exact(k) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}
