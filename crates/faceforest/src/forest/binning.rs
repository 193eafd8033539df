//! Quantisation: each feature gets at most 255 edges (256 bins). A value's bin is the
//! number of edges strictly below it, so "bin ≤ b" is exactly "value ≤ edges[b]":
//! the model keeps the edges and inference quantises identically to training.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

pub const MAX_BINS: usize = 256;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bins {
    pub edges: Vec<Vec<f32>>,
}

impl Bins {
    /// Fits edges per feature from `planes` (`n_features × n`). Features with at most
    /// 256 distinct values (RGB, location) are binned exactly; others at quantiles
    /// of a deterministic sample of up to `sample` values.
    pub fn fit(planes: ArrayView2<f32>, sample: usize) -> Bins {
        let n = planes.ncols();
        let step = (n / sample.max(1)).max(1);
        let edges = planes
            .rows()
            .into_iter()
            .map(|row| {
                let mut v: Vec<f32> = row
                    .iter()
                    .step_by(step)
                    .copied()
                    .filter(|x| x.is_finite())
                    .collect();
                v.sort_by(f32::total_cmp);
                let mut distinct = v.clone();
                distinct.dedup();
                if distinct.len() <= MAX_BINS {
                    return distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect();
                }
                let mut edges: Vec<f32> = Vec::with_capacity(MAX_BINS - 1);
                for q in 1..MAX_BINS {
                    let i = (q * v.len() / MAX_BINS).min(v.len() - 1);
                    // Edge between v[i] and the next larger value, so equal values share a bin.
                    let lo = v[i];
                    let next = v[i..].iter().copied().find(|&x| x > lo);
                    if let Some(hi) = next {
                        let e = midpoint(lo, hi);
                        if edges.last().is_none_or(|&l| e > l) {
                            edges.push(e);
                        }
                    }
                }
                edges
            })
            .collect();
        Bins { edges }
    }

    /// 255 evenly spaced edges over 0–1 (256 bins), for probability features: as
    /// fine everywhere, and quantised by a multiply.
    pub fn unit_interval() -> Vec<f32> {
        (1..MAX_BINS).map(|i| i as f32 / MAX_BINS as f32).collect()
    }

    pub fn n_features(&self) -> usize {
        self.edges.len()
    }

    #[inline]
    pub fn bin(&self, feature: usize, x: f32) -> u8 {
        bin_of(&self.edges[feature], x)
    }

    /// Quantises `planes` (`n_features × n`) into row-major `n × n_features` bytes.
    pub fn transform(&self, planes: ArrayView2<f32>) -> Vec<u8> {
        let (f, n) = planes.dim();
        let mut out = vec![0u8; n * f];
        for (j, row) in planes.rows().into_iter().enumerate() {
            let edges = &self.edges[j];
            for (i, &x) in row.iter().enumerate() {
                out[i * f + j] = bin_of(edges, x);
            }
        }
        out
    }

    /// The value a bin threshold stands for (for reports and raw-value export).
    pub fn threshold_value(&self, feature: usize, bin: u8) -> f32 {
        self.edges[feature]
            .get(bin as usize)
            .copied()
            .unwrap_or(f32::INFINITY)
    }
}

/// Per-feature quantiser giving exactly the bins of [`bin_of`], faster: evenly spaced
/// edges (location, probabilities) are a multiply away; other edges are padded to
/// 256 with +inf and searched without branches (eight dependent steps, no
/// mispredictions), which quantising a frame's millions of values needs.
#[derive(Clone, Debug)]
pub struct BinLut {
    /// `None` for edges the fast paths cannot take (more than 255, or not finite).
    padded: Option<Box<[f32; 256]>>,
    /// Evenly spaced edges: `(first, 1/step)`.
    uniform: Option<(f32, f32)>,
}

impl BinLut {
    pub fn new(edges: &[f32]) -> BinLut {
        if edges.is_empty() || edges.len() > 255 || edges.iter().any(|e| !e.is_finite()) {
            return BinLut {
                padded: None,
                uniform: None,
            };
        }
        let uniform = (edges.len() >= 2)
            .then(|| {
                let step = (edges[edges.len() - 1] - edges[0]) / (edges.len() - 1) as f32;
                let even = step > 0.0
                    && edges
                        .iter()
                        .enumerate()
                        .all(|(i, &e)| (e - (edges[0] + i as f32 * step)).abs() <= step * 0.01);
                even.then_some((edges[0], 1.0 / step))
            })
            .flatten();
        let mut padded = Box::new([f32::INFINITY; 256]);
        padded[..edges.len()].copy_from_slice(edges);
        BinLut {
            padded: Some(padded),
            uniform,
        }
    }

    #[inline]
    pub fn bin(&self, edges: &[f32], x: f32) -> u8 {
        let Some(padded) = &self.padded else {
            return bin_of(edges, x);
        };
        if let Some((e0, inv)) = self.uniform {
            // Estimate, then step to the exact count of edges below x (0–1 steps).
            // (A plain cast, not ceil(): without SSE4.1 ceil is a libm call.)
            let t = (x - e0) * inv;
            let mut b = if t <= 0.0 {
                0
            } else {
                (t as usize + 1).min(edges.len())
            };
            while b < edges.len() && edges[b] < x {
                b += 1;
            }
            while b > 0 && edges[b - 1] >= x {
                b -= 1;
            }
            return b as u8;
        }
        search::<1>(padded, [x])[0]
    }

    /// [`BinLut::bin`] over a run of values; searches four at a time, whose
    /// independent steps overlap.
    pub fn bin_slice(&self, edges: &[f32], values: &[f32], out: &mut [u8]) {
        match (&self.padded, self.uniform) {
            (Some(padded), None) => {
                let mut o4 = out.chunks_exact_mut(4);
                let mut v4 = values.chunks_exact(4);
                for (o, v) in (&mut o4).zip(&mut v4) {
                    o.copy_from_slice(&search::<4>(padded, [v[0], v[1], v[2], v[3]]));
                }
                for (o, &v) in o4.into_remainder().iter_mut().zip(v4.remainder()) {
                    *o = search::<1>(padded, [v])[0];
                }
            }
            _ => {
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = self.bin(edges, v);
                }
            }
        }
    }
}

/// Count of padded edges below each x, without branches: +inf padding is never
/// below, and NaN gives 0 as in [`bin_of`].
#[inline(always)]
fn search<const N: usize>(padded: &[f32; 256], x: [f32; N]) -> [u8; N] {
    let mut i = [0usize; N];
    for step in [128, 64, 32, 16, 8, 4, 2, 1] {
        for l in 0..N {
            i[l] += step * (padded[(i[l] + step - 1) & 255] < x[l]) as usize;
        }
    }
    i.map(|i| i as u8)
}

#[inline]
pub fn bin_of(edges: &[f32], x: f32) -> u8 {
    edges.partition_point(|&e| e < x) as u8
}

fn midpoint(a: f32, b: f32) -> f32 {
    let m = a + (b - a) / 2.0;
    // Guard against rounding onto b for neighbouring floats.
    if m >= b {
        a
    } else {
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn integers_are_binned_exactly_and_round_trip() {
        let data: Vec<f32> = (0..1000).map(|i| (i % 256) as f32).collect();
        let planes = Array2::from_shape_vec((1, 1000), data.clone()).unwrap();
        let bins = Bins::fit(planes.view(), 100_000);
        assert_eq!(bins.edges[0].len(), 255);
        for &x in &data {
            let b = bins.bin(0, x);
            assert_eq!(b as f32, x, "value {x} has its own bin");
            // bin <= b  <=>  x <= edge[b]
            if (b as usize) < bins.edges[0].len() {
                assert!(x <= bins.threshold_value(0, b));
            }
            if b > 0 {
                assert!(x > bins.threshold_value(0, b - 1));
            }
        }
    }

    #[test]
    fn lookup_table_bins_exactly_as_the_binary_search() {
        let mut state = 1u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((state >> 33) as f32 / (1u64 << 31) as f32).powi(3) * 7.0 - 1.0
        };
        let data: Vec<f32> = (0..20_000).map(|_| next()).collect();
        let planes = Array2::from_shape_vec((1, data.len()), data.clone()).unwrap();
        let bins = Bins::fit(planes.view(), 100_000);
        let lut = BinLut::new(&bins.edges[0]);
        let probes = data
            .iter()
            .copied()
            .chain(bins.edges[0].iter().copied())
            .chain([-5.0, 9.0, f32::NAN, 0.0]);
        for x in probes {
            assert_eq!(
                lut.bin(&bins.edges[0], x),
                bin_of(&bins.edges[0], x),
                "x = {x}"
            );
        }
        let unit = Bins::unit_interval();
        let ulut = BinLut::new(&unit);
        assert!(ulut.uniform.is_some());
        for i in 0..=2000 {
            let x = i as f32 / 2000.0 * 1.2 - 0.1;
            assert_eq!(ulut.bin(&unit, x), bin_of(&unit, x), "x = {x}");
        }
        for &e in &unit {
            assert_eq!(ulut.bin(&unit, e), bin_of(&unit, e));
        }
        // Runs of values (four at a time plus a remainder) bin as single values do.
        let run: Vec<f32> = data.iter().copied().take(1003).collect();
        let mut out = vec![0u8; run.len()];
        lut.bin_slice(&bins.edges[0], &run, &mut out);
        for (&x, &b) in run.iter().zip(&out) {
            assert_eq!(b, bin_of(&bins.edges[0], x), "x = {x}");
        }
        assert_eq!(BinLut::new(&[]).bin(&[], 3.0), 0);
        let full: Vec<f32> = (0..255).map(|i| i as f32).collect();
        let flut = BinLut::new(&full[..254].iter().map(|x| x * x).collect::<Vec<_>>());
        for x in [-1.0, 0.0, 0.5, 1.0, 63.9 * 63.9, 253.0 * 253.0, 1e9] {
            let e: Vec<f32> = full[..254].iter().map(|x| x * x).collect();
            assert_eq!(flut.bin(&e, x), bin_of(&e, x), "x = {x}");
        }
        assert_eq!(BinLut::new(&[1.0]).bin(&[1.0], 3.0), 1);
    }

    #[test]
    fn continuous_values_use_quantiles_and_preserve_order() {
        let data: Vec<f32> = (0..50_000)
            .map(|i| ((i * 7919) % 50_000) as f32 / 333.0)
            .collect();
        let planes = Array2::from_shape_vec((1, data.len()), data.clone()).unwrap();
        let bins = Bins::fit(planes.view(), 100_000);
        assert!(bins.edges[0].len() <= 255 && bins.edges[0].len() > 200);
        assert!(bins.edges[0].windows(2).all(|w| w[0] < w[1]));
        let q = bins.transform(planes.view());
        for i in 0..data.len() {
            for j in [0usize, 17, 4999] {
                if data[i] < data[j] {
                    assert!(q[i] <= q[j]);
                }
            }
        }
        // Roughly uniform occupancy.
        let mut counts = [0usize; 256];
        q.iter().for_each(|&b| counts[b as usize] += 1);
        assert!(counts.iter().max().unwrap() < &600);
    }
}
