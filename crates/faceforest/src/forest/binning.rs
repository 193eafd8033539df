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

/// Per-feature quantiser giving exactly the bins of [`bin_of`], faster. Evenly
/// spaced edges (location, probabilities) are a multiply and a check away. Otherwise
/// the range of the edges is cut into up to [`MAX_BUCKETS`] even buckets, each knowing how
/// many edges lie below it, so a value costs a multiply, one table read and a step
/// or two to the exact count (quantile edges bunch up, so the table grows until the
/// mean count of steps is small). Edges that bunch tighter still are
/// searched without branches (eight dependent steps, no mispredictions).
/// Quantising a frame's features and context planes is a tenth of its time.
#[derive(Clone, Debug)]
pub struct BinLut {
    /// The edges padded to 256 with +inf (empty for [`Path::Exact`]).
    padded: Box<[f32]>,
    path: Path,
}

/// How a feature's values find their bins.
#[derive(Clone, Debug)]
enum Path {
    /// The edges are exactly [`Bins::unit_interval`] (probabilities): bins follow
    /// from `256 x` without a table or a branch, and runs of them vectorise.
    Unit,
    /// Evenly spaced edges: `(first, 1/step, count)`.
    Uniform(f32, f32, f32),
    Buckets(Buckets),
    /// Edges bunched tighter than any bucket table: the branchless search.
    Search,
    /// More than 255 edges, or not finite: the plain binary search.
    Exact,
}

/// Even buckets over `[first edge, last edge]`.
#[derive(Clone, Debug)]
struct Buckets {
    first: f32,
    /// Buckets per unit of the feature.
    scale: f32,
    /// The last bucket's index.
    last: f32,
    /// Edges below each bucket's low end: where the stepping starts. Three
    /// bytes past the last bucket let the SIMD path gather whole words.
    below: Box<[u8]>,
}

/// Largest bucket table (bytes per feature).
pub const MAX_BUCKETS: usize = 16384;
/// Mean steps per value the table may leave before it doubles.
const BUCKET_STEPS: f32 = 1.5;

impl Buckets {
    fn new(edges: &[f32]) -> Option<Buckets> {
        let (first, last) = (edges[0], edges[edges.len() - 1]);
        let mut n = 256;
        while n <= MAX_BUCKETS {
            let scale = if last > first {
                n as f32 / (last - first)
            } else {
                0.0
            };
            if scale.is_finite() {
                let below: Box<[u8]> = (0..n)
                    .map(|b| bin_of(edges, first + b as f32 / scale))
                    .collect();
                // Quantile edges hold about equal shares of the values between them,
                // so a bucket holding m edges sees about m/len of the values, each
                // stepping over up to m edges: on average sum(m^2)/len steps.
                let steps = (0..n)
                    .map(|b| {
                        let hi = if b + 1 < n {
                            below[b + 1] as usize
                        } else {
                            edges.len()
                        };
                        hi.saturating_sub(below[b] as usize).pow(2)
                    })
                    .sum::<usize>() as f32
                    / edges.len() as f32;
                if steps <= BUCKET_STEPS || scale == 0.0 || (n == MAX_BUCKETS && steps <= 4.0) {
                    let mut below = below.into_vec();
                    below.extend([0; 3]);
                    return Some(Buckets {
                        first,
                        scale,
                        last: (n - 1) as f32,
                        below: below.into_boxed_slice(),
                    });
                }
            }
            n *= 2;
        }
        None
    }
}

impl BinLut {
    pub fn new(edges: &[f32]) -> BinLut {
        if edges.is_empty() || edges.len() > 255 || edges.iter().any(|e| !e.is_finite()) {
            return BinLut {
                padded: Box::new([]),
                path: Path::Exact,
            };
        }
        let mut padded = vec![f32::INFINITY; 256];
        padded[..edges.len()].copy_from_slice(edges);
        let n = edges.len();
        let step = (edges[n - 1] - edges[0]) / (n as f32 - 1.0);
        let even = n >= 2
            && step > 0.0
            && edges
                .iter()
                .enumerate()
                .all(|(i, &e)| (e - (edges[0] + i as f32 * step)).abs() <= step * 0.01);
        let path = if edges == Bins::unit_interval().as_slice() {
            Path::Unit
        } else if even {
            Path::Uniform(edges[0], 1.0 / step, n as f32)
        } else {
            Buckets::new(edges).map_or(Path::Search, Path::Buckets)
        };
        BinLut {
            padded: padded.into_boxed_slice(),
            path,
        }
    }

    /// The padded edges as the fast paths read them.
    fn padded(&self) -> &[f32; 256] {
        (*self.padded)
            .try_into()
            .expect("fast paths have 256 padded edges")
    }

    #[inline]
    pub fn bin(&self, edges: &[f32], x: f32) -> u8 {
        match &self.path {
            Path::Unit => unit_bin(x),
            &Path::Uniform(first, inv, n) => from_uniform(self.padded(), (first, inv, n), x),
            Path::Buckets(b) => from_bucket(self.padded(), b, x),
            Path::Search => search::<1>(self.padded(), [x])[0],
            Path::Exact => bin_of(edges, x),
        }
    }

    /// [`BinLut::bin`] over a run of values.
    pub fn bin_slice(&self, edges: &[f32], values: &[f32], out: &mut [u8]) {
        // One loop per path, each specialised (and the unit one vectorised).
        fn each(out: &mut [u8], values: &[f32], f: impl Fn(f32) -> u8) {
            out.iter_mut().zip(values).for_each(|(o, &v)| *o = f(v));
        }
        #[cfg(target_arch = "x86_64")]
        if crate::forest::walk::simd_active() {
            match &self.path {
                // SAFETY: the CPU has AVX-512F (simd_active).
                Path::Unit => return unsafe { avx512::unit(values, out) },
                Path::Buckets(b) => {
                    return unsafe { avx512::buckets(self.padded(), b, values, out) }
                }
                _ => {}
            }
        }
        match &self.path {
            Path::Unit => each(out, values, unit_bin),
            &Path::Uniform(first, inv, n) => {
                let padded = self.padded();
                each(out, values, |v| from_uniform(padded, (first, inv, n), v))
            }
            Path::Buckets(b) => {
                let padded = self.padded();
                each(out, values, |v| from_bucket(padded, b, v))
            }
            Path::Search => {
                // Four at a time: their independent steps overlap.
                let padded = self.padded();
                let mut o4 = out.chunks_exact_mut(4);
                let mut v4 = values.chunks_exact(4);
                for (o, v) in (&mut o4).zip(&mut v4) {
                    o.copy_from_slice(&search::<4>(padded, [v[0], v[1], v[2], v[3]]));
                }
                for (o, &v) in o4.into_remainder().iter_mut().zip(v4.remainder()) {
                    *o = search::<1>(padded, [v])[0];
                }
            }
            Path::Exact => each(out, values, |v| bin_of(edges, v)),
        }
    }

    /// Whether values take the bucket table (for tests).
    pub fn has_buckets(&self) -> bool {
        matches!(self.path, Path::Buckets(_))
    }

    /// Whether the edges are evenly spaced (for tests).
    pub fn is_uniform(&self) -> bool {
        matches!(self.path, Path::Uniform(..) | Path::Unit)
    }

    /// Whether the edges are the probabilities' `i / 256` (for tests).
    pub fn is_unit(&self) -> bool {
        matches!(self.path, Path::Unit)
    }
}

/// Count of edges below `x`, stepping from its bucket's start: exact wherever the
/// bucket estimate lands (rounding may put x one bucket off), since it steps both
/// ways; +inf padding stops the upward steps, and NaN (below nothing) lands in
/// bucket 0, which starts at 0. Few instructions and no branch a random value
/// would mispredict: this runs for every feature of every pixel.
#[inline(always)]
fn from_bucket(padded: &[f32; 256], b: &Buckets, x: f32) -> u8 {
    // max() turns NaN into 0.
    let t = ((x - b.first) * b.scale).max(0.0).min(b.last);
    // SAFETY: t is finite and within 0..=last, the table's last index.
    let k = unsafe { t.to_int_unchecked::<u32>() } as usize;
    let mut i = b.below[k];
    // Most buckets hold an edge or two: step over them without branches.
    i += (padded[i as usize] < x) as u8;
    i += (padded[i as usize] < x) as u8;
    if padded[i as usize] < x || (i > 0 && padded[i as usize - 1] >= x) {
        return slow_steps(padded, i as usize, x);
    }
    i
}

/// Count of evenly spaced edges below `x`: right unless x lies on an edge or
/// rounding carried it across one, which the check sends to the exact steps.
#[inline(always)]
fn from_uniform(padded: &[f32; 256], (first, inv, n): (f32, f32, f32), x: f32) -> u8 {
    // max() turns NaN into 0.
    let t = ((x - first) * inv + 1.0).max(0.0).min(n);
    // SAFETY: t is finite and within 0..=n, and n is at most 255.
    let i = unsafe { t.to_int_unchecked::<u32>() } as u8;
    if padded[i as usize] < x || (i > 0 && padded[i as usize - 1] >= x) {
        return slow_steps(padded, i as usize, x);
    }
    i
}

/// Count of the edges `i / 256` (`i` in 1..=255) below `x`: the integers below
/// `y = 256 x` (exact: a power-of-two scale), i.e. `ceil(y) - 1`, which is
/// `trunc(y)` less one where y is a whole number; the cast turns NaN into 0.
#[inline(always)]
fn unit_bin(x: f32) -> u8 {
    let y = (x * 256.0).clamp(0.0, 256.0);
    let t = y as i32;
    (t - (t as f32 == y && t > 0) as i32) as u8
}

/// The rest of [`from_bucket`]'s and [`from_uniform`]'s steps, for crowded buckets
/// and rounding.
#[cold]
fn slow_steps(padded: &[f32; 256], mut i: usize, x: f32) -> u8 {
    while padded[i & 255] < x {
        i += 1;
    }
    while i > 0 && padded[i - 1] >= x {
        i -= 1;
    }
    i as u8
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

/// The two paths that quantise most of a frame's values, sixteen at a time:
/// bit for bit the bins of the portable paths above.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{from_bucket, unit_bin, Buckets};
    use std::arch::x86_64::*;

    /// [`unit_bin`] sixteen at a time (the compiler's own vectorisation of it
    /// converts one lane at a time, for the NaN rule of `as`).
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn unit(values: &[f32], out: &mut [u8]) {
        let n = values.len().min(out.len());
        let (zero, top, times) = (
            _mm512_setzero_ps(),
            _mm512_set1_ps(256.0),
            _mm512_set1_ps(256.0),
        );
        let one = _mm512_set1_epi32(1);
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: 16 values and 16 bytes from i.
            let x = _mm512_loadu_ps(values.as_ptr().add(i));
            // max() with zero second turns NaN into 0, as the cast does.
            let y = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(x, times), zero), top);
            let t = _mm512_cvttps_epi32(y);
            let whole = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(_mm512_cvtepi32_ps(t), y)
                & _mm512_cmpgt_epi32_mask(t, _mm512_setzero_si512());
            let bin = _mm512_mask_sub_epi32(t, whole, t, one);
            _mm_storeu_si128(
                out.as_mut_ptr().add(i) as *mut __m128i,
                _mm512_cvtepi32_epi8(bin),
            );
            i += 16;
        }
        for j in i..n {
            out[j] = unit_bin(values[j]);
        }
    }

    /// [`from_bucket`] with gathers: the bucket's start, two steps, and the check
    /// that sends a vector with a crowded bucket back to the portable steps.
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn buckets(padded: &[f32; 256], b: &Buckets, values: &[f32], out: &mut [u8]) {
        let n = values.len().min(out.len());
        let (first, scale) = (_mm512_set1_ps(b.first), _mm512_set1_ps(b.scale));
        let (last, zero) = (_mm512_set1_ps(b.last), _mm512_setzero_ps());
        let (one, byte) = (_mm512_set1_epi32(1), _mm512_set1_epi32(0xff));
        let edges = padded.as_ptr();
        let below = b.below.as_ptr() as *const i32;
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: 16 values from i; bucket indices lie in 0..=last and `below`
            // has 3 bytes past them; bins lie in 0..=255, inside `padded`, and the
            // lower edge is gathered only where the bin is above 0.
            let x = _mm512_loadu_ps(values.as_ptr().add(i));
            // max() with zero second turns NaN into 0, as the portable path does.
            let t = _mm512_min_ps(
                _mm512_max_ps(_mm512_mul_ps(_mm512_sub_ps(x, first), scale), zero),
                last,
            );
            let k = _mm512_cvttps_epi32(t);
            let mut bin = _mm512_and_si512(_mm512_i32gather_epi32::<1>(k, below), byte);
            for _ in 0..2 {
                let e = _mm512_i32gather_ps::<4>(bin, edges);
                let up = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(e, x);
                bin = _mm512_mask_add_epi32(bin, up, bin, one);
            }
            let e = _mm512_i32gather_ps::<4>(bin, edges);
            let short = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(e, x);
            let above = _mm512_cmpgt_epi32_mask(bin, _mm512_setzero_si512());
            let prev =
                _mm512_mask_i32gather_ps::<4>(zero, above, _mm512_sub_epi32(bin, one), edges);
            let over = _mm512_mask_cmp_ps_mask::<_CMP_GE_OQ>(above, prev, x);
            if short | over == 0 {
                _mm_storeu_si128(
                    out.as_mut_ptr().add(i) as *mut __m128i,
                    _mm512_cvtepi32_epi8(bin),
                );
            } else {
                for j in i..i + 16 {
                    out[j] = from_bucket(padded, b, values[j]);
                }
            }
            i += 16;
        }
        for j in i..n {
            out[j] = from_bucket(padded, b, values[j]);
        }
    }
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

    /// Uniform noise cubed onto -1..6: quantile edges that bunch up near 0.
    fn cubed_noise(seed: u64, n: usize) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 33) as f32 / (1u64 << 31) as f32).powi(3) * 7.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn lookup_table_bins_exactly_as_the_binary_search() {
        let data = cubed_noise(1, 20_000);
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
        assert!(
            lut.has_buckets(),
            "cubed noise's quantiles fit the bucket table"
        );
        let unit = Bins::unit_interval();
        let ulut = BinLut::new(&unit);
        assert!(ulut.is_uniform());
        for i in 0..=2000 {
            let x = i as f32 / 2000.0 * 1.2 - 0.1;
            assert_eq!(ulut.bin(&unit, x), bin_of(&unit, x), "x = {x}");
        }
        for &e in &unit {
            assert_eq!(ulut.bin(&unit, e), bin_of(&unit, e));
        }
        // Probabilities take the branchless unit path: on, between and beside
        // every edge, beyond both ends, and NaN.
        assert!(ulut.is_unit());
        let probes: Vec<f32> = unit
            .iter()
            .flat_map(|&e| [e, e.next_up(), e.next_down(), e + 1.0 / 512.0])
            .chain([
                0.0,
                -0.0,
                1.0,
                1.5,
                -1.0,
                1e-40,
                f32::NAN,
                f32::INFINITY,
                -f32::INFINITY,
            ])
            .collect();
        let mut out = vec![0u8; probes.len()];
        ulut.bin_slice(&unit, &probes, &mut out);
        for (&x, &b) in probes.iter().zip(&out) {
            assert_eq!(b, bin_of(&unit, x), "x = {x}");
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
        // Edges bunched beyond any table (a geometric run) take the branchless
        // search; values between and on them still bin exactly, singly and in runs.
        let geo: Vec<f32> = (0..200).map(|i| 1e-30 * 1.5f32.powi(i)).collect();
        let glut = BinLut::new(&geo);
        assert!(!glut.has_buckets());
        let probes: Vec<f32> = geo
            .iter()
            .flat_map(|&e| [e, e * 1.2, e * 0.99])
            .chain([0.0, -1.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN])
            .collect();
        let mut out = vec![0u8; probes.len()];
        glut.bin_slice(&geo, &probes, &mut out);
        for (&x, &b) in probes.iter().zip(&out) {
            assert_eq!(b, bin_of(&geo, x), "x = {x}");
            assert_eq!(glut.bin(&geo, x), b, "x = {x}");
        }
        // Bucketed edges at the extremes too.
        for x in [
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            -f32::MAX,
        ] {
            assert_eq!(
                lut.bin(&bins.edges[0], x),
                bin_of(&bins.edges[0], x),
                "x = {x}"
            );
        }
    }

    /// The AVX-512 paths against the binary search, where the CPU has them: runs
    /// long and short, with values on, beside and between every edge, beyond both
    /// ends, infinities and NaN in every lane position.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn simd_paths_bin_exactly_as_the_binary_search() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            eprintln!("no AVX-512 here: only the portable paths run");
            return;
        }
        let data = cubed_noise(7, 20_000);
        let planes = Array2::from_shape_vec((1, data.len()), data.clone()).unwrap();
        let edges = Bins::fit(planes.view(), 100_000).edges.remove(0);
        let unit = Bins::unit_interval();
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-40,
            f32::MAX,
            -f32::MAX,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        for e in [&edges, &unit] {
            let lut = BinLut::new(e);
            let mut probes: Vec<f32> = e
                .iter()
                .flat_map(|&x| [x, x.next_up(), x.next_down(), x + 1.0 / 512.0])
                .chain(data.iter().copied().take(3000))
                .collect();
            // Specials in every lane of a vector.
            for (i, &x) in specials.iter().cycle().take(64).enumerate() {
                probes.insert(i * 7, x);
            }
            for len in [probes.len(), 15, 16, 17, 33] {
                let mut out = vec![0u8; len];
                // SAFETY: the CPU has AVX-512F (checked above).
                unsafe {
                    match &lut.path {
                        Path::Unit => avx512::unit(&probes[..len], &mut out),
                        Path::Buckets(b) => {
                            avx512::buckets(lut.padded(), b, &probes[..len], &mut out)
                        }
                        _ => panic!("these edges take the unit or bucket path"),
                    }
                }
                for (&x, &b) in probes.iter().zip(&out) {
                    assert_eq!(b, bin_of(e, x), "x = {x}");
                }
            }
        }
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
