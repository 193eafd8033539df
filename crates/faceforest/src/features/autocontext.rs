//! Auto-context: a later forest stage reads the previous stage's class probabilities
//! around each pixel. The probabilities are box-averaged (integral images) over a
//! window that grows with the offset, then sampled at a fixed ring of offsets, so a
//! pixel "sees" where the eyes, nose and hair were found around it.

use crate::classes::{NUM_CLASSES, NUM_PHOTO_CLASSES};
use crate::forest::planes::PlaneStack;
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
        for (j, mut plane) in out.rows_mut().into_iter().enumerate() {
            let plane = plane.as_slice_mut().expect("rows of a standard array");
            for (y, row) in plane.chunks_exact_mut(s).enumerate() {
                sampler.values_into(j / NUM_PHOTO_CLASSES, j % NUM_PHOTO_CLASSES, y, row);
            }
        }
        out
    }

    /// The distinct windows, in first-seen order, and the window index of each
    /// sample. Samples with one window differ only by a shift, so each window's box
    /// means are computed once per class and every sample reads them shifted.
    pub fn windows(&self) -> (Vec<u16>, Vec<usize>) {
        let mut windows: Vec<u16> = Vec::new();
        let group = self
            .samples
            .iter()
            .map(|&(_, _, w)| {
                windows.iter().position(|&v| v == w).unwrap_or_else(|| {
                    windows.push(w);
                    windows.len() - 1
                })
            })
            .collect();
        (windows, group)
    }

    /// Planes a [`PlaneStack`] needs for this layout: one per window and class.
    pub fn n_planes(&self) -> usize {
        self.windows().0.len() * NUM_PHOTO_CLASSES
    }

    /// The farthest shift of any sample: the border a [`PlaneStack`] needs.
    pub fn reach(&self) -> usize {
        self.samples
            .iter()
            .map(|&(dx, dy, _)| dx.unsigned_abs().max(dy.unsigned_abs()) as usize)
            .max()
            .unwrap_or(0)
    }

    /// Writes the box means of `probs` (`side²` rows of [`NUM_CLASSES`]) for every
    /// window and class into planes `first..first + n_planes()` of `stack`,
    /// quantised by `bin(plane, values, bytes)` a row at a time, borders clamped to
    /// the nearest pixel. With
    /// [`ContextLayout::offsets`] these give exactly the (quantised) values of
    /// [`ContextLayout::planes`].
    pub fn box_planes(
        &self,
        probs: &[f32],
        stack: &mut PlaneStack,
        first: usize,
        bin: impl Fn(usize, &[f32], &mut [u8]) + Sync,
    ) {
        let (s, pad, w) = (stack.side, stack.pad, stack.width());
        assert!(
            self.reach() <= pad,
            "the plane border is narrower than the layout's reach"
        );
        let windows = ContextLayout {
            samples: self.windows().0.into_iter().map(|w| (0, 0, w)).collect(),
        };
        let sampler = Sampler::new(&windows, probs, s);
        let len = stack.plane_len();
        let block = &mut stack.planes_mut(first)[..self.n_planes() * len];
        crate::par::for_chunks_mut(block, len, |j, plane| {
            let (g, c) = (j / NUM_PHOTO_CLASSES, j % NUM_PHOTO_CLASSES);
            let mut values = vec![0f32; s];
            for y in 0..s {
                sampler.values_into(g, c, y, &mut values);
                bin(j, &values, &mut plane[(y + pad) * w + pad..][..s]);
            }
            PlaneStack::replicate_edges(plane, s, pad);
        });
    }

    /// Offsets (see [`PlaneStack`]) of this layout's features when its box planes
    /// start at plane `first`.
    pub fn offsets(&self, stack: &PlaneStack, first: usize) -> Vec<isize> {
        let group = self.windows().1;
        let (len, w) = (stack.plane_len() as isize, stack.width() as isize);
        self.samples
            .iter()
            .zip(group)
            .flat_map(|(&(dx, dy, _), g)| {
                (0..NUM_PHOTO_CLASSES).map(move |c| {
                    (first + g * NUM_PHOTO_CLASSES + c) as isize * len
                        + dy as isize * w
                        + dx as isize
                })
            })
            .collect()
    }

    /// For each box plane, the first feature that reads it: whose bins quantise it.
    pub fn plane_features(&self) -> Vec<usize> {
        let group = self.windows().1;
        (0..self.n_planes())
            .map(|j| {
                let k = group
                    .iter()
                    .position(|&g| g == j / NUM_PHOTO_CLASSES)
                    .unwrap();
                k * NUM_PHOTO_CLASSES + j % NUM_PHOTO_CLASSES
            })
            .collect()
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
    /// Per sample: `(lo, hi, a, b)`, columns `lo..hi` box `x - a .. x + b`.
    inner: Vec<(usize, usize, usize, usize)>,
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
        let xr: Vec<Vec<(usize, usize)>> = layout
            .samples
            .iter()
            .map(|&(dx, _, w)| ranges(dx, (w / 2) as isize))
            .collect();
        let yr = layout
            .samples
            .iter()
            .map(|&(_, dy, w)| ranges(dy, (w / 2) as isize))
            .collect();
        // Per sample, the longest run of columns lo..hi whose box is x - a .. x + b.
        let inner = xr
            .iter()
            .map(|r: &Vec<(usize, usize)>| {
                let mid = s / 2;
                // A shifted sample's box may not cover its own column: no run.
                if r[mid].0 > mid || r[mid].1 < mid {
                    return (mid, mid, 0, 0);
                }
                let (a, b) = (mid - r[mid].0, r[mid].1 - mid);
                let fits = |x: usize| x >= a && r[x] == (x - a, x + b);
                let (mut lo, mut hi) = (mid, mid);
                if fits(mid) {
                    while lo > 0 && fits(lo - 1) {
                        lo -= 1;
                    }
                    hi = mid + 1;
                    while hi < s && fits(hi) {
                        hi += 1;
                    }
                }
                (lo, hi, a, b)
            })
            .collect();
        Sampler {
            s,
            sat,
            xr,
            yr,
            inner,
        }
    }

    /// Calls `put(x, value)` along image row `y` for sample `k` and class `c`: the
    /// plain per-column form, kept as the reference [`Sampler::values_into`] is
    /// tested against.
    #[cfg(test)]
    fn values(&self, k: usize, c: usize, y: usize, mut put: impl FnMut(usize, f32)) {
        let s1 = self.s + 1;
        let (y0, y1) = self.yr[k][y];
        let t = &self.sat[c * s1 * s1..(c + 1) * s1 * s1];
        let (top, bottom) = (&t[y0 * s1..(y0 + 1) * s1], &t[y1 * s1..(y1 + 1) * s1]);
        for (x, &(x0, x1)) in self.xr[k].iter().enumerate() {
            let area = ((x1 - x0) * (y1 - y0)) as f32;
            put(x, (bottom[x1] - top[x1] - bottom[x0] + top[x0]) / area);
        }
    }

    /// [`Sampler::values`] into `out`: the same numbers, but where the box lies
    /// whole inside the row (from `x - a` to `x + b`) the loop reads contiguous
    /// runs, which the compiler vectorises.
    fn values_into(&self, k: usize, c: usize, y: usize, out: &mut [f32]) {
        let s1 = self.s + 1;
        let (y0, y1) = self.yr[k][y];
        let t = &self.sat[c * s1 * s1..(c + 1) * s1 * s1];
        let (top, bottom) = (&t[y0 * s1..(y0 + 1) * s1], &t[y1 * s1..(y1 + 1) * s1]);
        let (lo, hi, a, b) = self.inner[k];
        let edge = |x: usize| {
            let (x0, x1) = self.xr[k][x];
            let area = ((x1 - x0) * (y1 - y0)) as f32;
            (bottom[x1] - top[x1] - bottom[x0] + top[x0]) / area
        };
        for (x, o) in out.iter_mut().enumerate().take(lo) {
            *o = edge(x);
        }
        let area = ((a + b) * (y1 - y0)) as f32;
        let n = hi - lo;
        if n == 0 {
            for (x, o) in out.iter_mut().enumerate() {
                *o = edge(x);
            }
            return;
        }
        let (b1, t1) = (&bottom[lo + b..lo + b + n], &top[lo + b..lo + b + n]);
        let (b0, t0) = (&bottom[lo - a..lo - a + n], &top[lo - a..lo - a + n]);
        for (o, (((b1, t1), b0), t0)) in out[lo..hi]
            .iter_mut()
            .zip(b1.iter().zip(t1).zip(b0).zip(t0))
        {
            *o = (b1 - t1 - b0 + t0) / area;
        }
        for (x, o) in out.iter_mut().enumerate().skip(hi) {
            *o = edge(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_runs_give_the_same_box_means() {
        for s in [1usize, 2, 5, 9, 40] {
            let probs: Vec<f32> = (0..s * s * NUM_CLASSES)
                .map(|i| ((i * 7919) % 1000) as f32 / 999.0)
                .collect();
            let mut samples = vec![(0, 0, 1), (0, 0, 3), (0, 0, 7), (0, 0, 21)];
            samples.extend([(5, -3, 3), (-12, 4, 5), (30, 0, 9)]);
            let layout = ContextLayout { samples };
            let sampler = Sampler::new(&layout, &probs, s);
            let mut out = vec![0f32; s];
            for k in 0..layout.samples.len() {
                for c in [0, 3, 6] {
                    for y in 0..s {
                        sampler.values_into(k, c, y, &mut out);
                        sampler.values(k, c, y, |x, v| {
                            assert_eq!(
                                out[x].to_bits(),
                                v.to_bits(),
                                "s {s} k {k} c {c} ({x}, {y})"
                            )
                        });
                    }
                }
            }
        }
    }

    #[test]
    fn samples_are_shifted_box_means() {
        // 8x8 square: class 2 (hair) probability 1 in column 6 only, skin elsewhere.
        let s = 8;
        let mut probs = vec![0f32; s * s * NUM_CLASSES];
        for y in 0..s {
            for x in 0..s {
                let c = if x == 6 {
                    2
                } else if y == 6 {
                    3
                } else {
                    1
                };
                probs[(y * s + x) * NUM_CLASSES + c] = 1.0;
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
        // Box planes read through the offsets give the same (quantised) values.
        let stack_for = |layout: &ContextLayout| {
            let mut st = PlaneStack::new(s, layout.reach(), 1 + layout.n_planes());
            layout.box_planes(&probs, &mut st, 1, |_, v, out| {
                v.iter().zip(out).for_each(|(v, o)| *o = (v * 240.0) as u8)
            });
            st
        };
        let check = |layout: &ContextLayout| {
            let st = stack_for(layout);
            let p = layout.planes(&probs, s as u32);
            let off = layout.offsets(&st, 1);
            for (px, o) in st.origins().into_iter().enumerate() {
                for (j, &d) in off.iter().enumerate() {
                    assert_eq!(
                        st.data[(o as isize + d) as usize],
                        (p[[j, px]] * 240.0) as u8,
                        "feature {j} at pixel {px}"
                    );
                }
            }
        };
        check(&layout);
        check(&ContextLayout::ring(s as u32));
        assert_eq!(layout.windows(), (vec![1, 3], vec![0, 0, 1]));
        assert_eq!(
            layout.plane_features()[NUM_PHOTO_CLASSES + 2],
            2 * NUM_PHOTO_CLASSES + 2
        );
    }
}
