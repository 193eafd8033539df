//! Clean-up of the forest's probabilities before they are mapped back to the photo.

pub mod parts;

use serde::{Deserialize, Serialize};

/// What runs on a model's square probabilities after the last stage. Stored in the
/// model so that every runtime (CLI, browser) cleans up the same way.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostProcess {
    /// Keep only the largest blob of each face part (see [`parts::keep_largest`]).
    pub largest_parts: bool,
    /// Box-average each class's probabilities over `2r+1` pixels square first
    /// (0: none), so lone pixels follow their neighbourhood.
    pub smooth: u8,
    /// Factor on the face parts' probabilities (eyes, nose, mouth) before anything
    /// else, each row renormalised; 1: none. Training weights the rare parts up so
    /// the forest finds them, which leaves it claiming too many pixels for them
    /// (recall far above precision); this hands the marginal ones back.
    pub part_scale: f32,
}

impl Default for PostProcess {
    fn default() -> Self {
        PostProcess {
            largest_parts: false,
            smooth: 0,
            part_scale: 1.0,
        }
    }
}

impl PostProcess {
    /// Applies the clean-up to `S*S` rows of `k` class probabilities.
    pub fn apply(&self, probs: &mut [f32], size: usize, k: usize) {
        if self.part_scale != 1.0 {
            scale_classes(probs, k, &parts::FACE_PARTS, self.part_scale);
        }
        if self.smooth > 0 {
            smooth(probs, size, k, self.smooth as usize);
        }
        if self.largest_parts {
            parts::keep_largest(probs, size, k, &parts::FACE_PARTS);
        }
    }
}

/// Multiplies `classes`' probabilities by `factor` in each row of `k`, then
/// rescales the row to its former sum.
fn scale_classes(probs: &mut [f32], k: usize, classes: &[u8], factor: f32) {
    for row in probs.chunks_exact_mut(k) {
        let before: f32 = row.iter().sum();
        for &c in classes {
            if let Some(p) = row.get_mut(c as usize) {
                *p *= factor;
            }
        }
        let after: f32 = row.iter().sum();
        if after > 0.0 {
            row.iter_mut().for_each(|p| *p *= before / after);
        }
    }
}

/// Separable box average of `s*s` rows of `k` values, the window clipped at the
/// square's edges.
fn smooth(probs: &mut [f32], s: usize, k: usize, r: usize) {
    let mut tmp = vec![0f32; probs.len()];
    // Rows first (each on its own, so in parallel), then columns.
    crate::par::for_chunks_mut(&mut tmp, 16 * s * k, |band, out| {
        let first = band * 16 * s * k;
        for (src, dst) in probs[first..]
            .chunks_exact(s * k)
            .zip(out.chunks_exact_mut(s * k))
        {
            row_pass(src, dst, s, k, r);
        }
    });
    column_pass(&tmp, probs, s, k, r);
}

/// A clipped running sum along one row of `s` pixels of `k` values.
fn row_pass(src: &[f32], dst: &mut [f32], s: usize, k: usize, r: usize) {
    let mut acc = vec![0f32; k];
    let add = |acc: &mut [f32], i: usize| {
        acc.iter_mut()
            .zip(&src[i * k..i * k + k])
            .for_each(|(a, v)| *a += v)
    };
    for i in 0..r.min(s) {
        add(&mut acc, i);
    }
    for i in 0..s {
        if i + r < s {
            add(&mut acc, i + r);
        }
        if i > r {
            acc.iter_mut()
                .zip(&src[(i - r - 1) * k..(i - r) * k])
                .for_each(|(a, v)| *a -= v);
        }
        let n = ((i + r).min(s - 1) - i.saturating_sub(r) + 1) as f32;
        dst[i * k..i * k + k]
            .iter_mut()
            .zip(&acc)
            .for_each(|(d, a)| *d = a / n);
    }
}

/// The same running sums down every column at once: one accumulator per column
/// and class, each taking the additions and subtractions in [`row_pass`]'s order,
/// but over whole rows, which are contiguous and vectorise.
fn column_pass(src: &[f32], dst: &mut [f32], s: usize, k: usize, r: usize) {
    let line = s * k;
    let row = |i: usize| &src[i * line..(i + 1) * line];
    let mut acc = vec![0f32; line];
    for i in 0..r.min(s) {
        acc.iter_mut().zip(row(i)).for_each(|(a, v)| *a += v);
    }
    for i in 0..s {
        if i + r < s {
            acc.iter_mut().zip(row(i + r)).for_each(|(a, v)| *a += v);
        }
        if i > r {
            acc.iter_mut()
                .zip(row(i - r - 1))
                .for_each(|(a, v)| *a -= v);
        }
        let n = ((i + r).min(s - 1) - i.saturating_sub(r) + 1) as f32;
        dst[i * line..(i + 1) * line]
            .iter_mut()
            .zip(&acc)
            .for_each(|(d, a)| *d = a / n);
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

    /// The first smoothing, one line at a time down strided columns: the row
    /// and column passes must give its bits exactly.
    fn strided_smooth(probs: &mut [f32], s: usize, k: usize, r: usize) {
        let pass = |src: &[f32], dst: &mut [f32], along_x: bool| {
            let at = |line: usize, i: usize| if along_x { line * s + i } else { i * s + line };
            for line in 0..s {
                let mut acc = vec![0f32; k];
                let add = |acc: &mut Vec<f32>, p: usize, sign: f32| {
                    for c in 0..k {
                        if sign > 0.0 {
                            acc[c] += src[p * k + c];
                        } else {
                            acc[c] -= src[p * k + c];
                        }
                    }
                };
                for i in 0..r.min(s) {
                    add(&mut acc, at(line, i), 1.0);
                }
                for i in 0..s {
                    if i + r < s {
                        add(&mut acc, at(line, i + r), 1.0);
                    }
                    if i > r {
                        add(&mut acc, at(line, i - r - 1), -1.0);
                    }
                    let n = ((i + r).min(s - 1) - i.saturating_sub(r) + 1) as f32;
                    for c in 0..k {
                        dst[at(line, i) * k + c] = acc[c] / n;
                    }
                }
            }
        };
        let mut tmp = vec![0f32; probs.len()];
        pass(probs, &mut tmp, true);
        pass(&tmp, probs, false);
    }

    #[test]
    fn row_and_column_passes_give_the_strided_bits() {
        let mut state = 3u64;
        for (s, k, r) in [(37, 8, 1), (20, 3, 2), (5, 8, 7), (1, 8, 1), (40, 8, 0)] {
            let p: Vec<f32> = (0..s * s * k)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 40) as f32 / (1u64 << 24) as f32
                })
                .collect();
            let (mut got, mut want) = (p.clone(), p);
            smooth(&mut got, s, k, r);
            strided_smooth(&mut want, s, k, r);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "s {s} k {k} r {r}");
        }
    }

    #[test]
    fn part_scale_shrinks_the_parts_and_keeps_rows_summing() {
        // Two pixels of 8 classes: skin 0.4 / nose 0.6, and skin 0.7 / mouth 0.3.
        let mut p = vec![0f32; 16];
        (p[1], p[5]) = (0.4, 0.6);
        (p[9], p[14]) = (0.7, 0.3);
        let post = PostProcess {
            part_scale: 0.5,
            ..Default::default()
        };
        post.apply(&mut p, 1, 8);
        // Row 1: skin 0.4, nose 0.3, scaled by 1/0.7 -> 0.571 / 0.429: now skin.
        assert!((p[1] - 0.4 / 0.7).abs() < 1e-6 && (p[5] - 0.3 / 0.7).abs() < 1e-6);
        // Row 2: skin 0.7, mouth 0.15, by 1/0.85.
        assert!((p[9] - 0.7 / 0.85).abs() < 1e-6 && (p[14] - 0.15 / 0.85).abs() < 1e-6);
        assert!((p[..8].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        // 1 changes nothing.
        let mut q = vec![0.125f32; 8];
        PostProcess::default().apply(&mut q, 1, 8);
        assert_eq!(q, vec![0.125f32; 8]);
    }
}
