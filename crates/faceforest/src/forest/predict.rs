//! Prediction over pixel blocks: every tree is walked for a block of rows before the
//! next tree, so one tree's nodes stay in cache; blocks run in parallel.

use crate::forest::layout::{Forest, LEAF};
use crate::par;
use ndarray::ArrayView2;

/// Pixels per block: a block walks one tree before the next, so the larger the
/// block, the more pixels share each tree's nodes once they are in cache (deep
/// forests far larger than the cache need this); but blocks differ in cost (a
/// face's pixels walk deeper than the background's), and with 8 per thread the two
/// threads finish together (natively the shipped model's stage walks ran 1.6–2.0×
/// faster on 2 threads than on 1, against 1.6× with 2 blocks per thread; the
/// 55-tree forest's walk did not change measurably).
fn block_len(n: usize) -> usize {
    (n / (8 * par::threads())).clamp(256, 16384)
}
/// Rows per block when quantising (about 16 KB of bytes for 140 features).
const QBLOCK: usize = 128;

impl Forest {
    /// Class probabilities of quantised rows (`n × n_features`), `n × n_classes`.
    pub fn predict_binned(&self, rows: &[u8]) -> Vec<f32> {
        let f = self.n_features();
        let origins: Vec<usize> = (0..rows.len() / f).map(|i| i * f).collect();
        let offsets: Vec<isize> = (0..f as isize).collect();
        self.predict_at(rows, &offsets, &origins)
    }

    /// Class probabilities of the pixels at `origins`, feature `j` of a pixel being
    /// `data[origin + offsets[j]]` (rows of bytes or a [`PlaneStack`]); `n × n_classes`.
    ///
    /// [`PlaneStack`]: crate::forest::planes::PlaneStack
    pub fn predict_at(&self, data: &[u8], offsets: &[isize], origins: &[usize]) -> Vec<f32> {
        let k = self.n_classes as usize;
        let n = origins.len();
        let mut out = vec![0f32; n * k];
        if n == 0 {
            return out;
        }
        assert_eq!(offsets.len(), self.n_features(), "one offset per feature");
        // Every read the walk can make lies inside `data`.
        let (lo, hi) = (
            *offsets.iter().min().unwrap(),
            *offsets.iter().max().unwrap(),
        );
        let (first, last) = (
            *origins.iter().min().unwrap() as isize,
            *origins.iter().max().unwrap() as isize,
        );
        assert!(
            first + lo >= 0 && last + hi < data.len() as isize,
            "feature reads outside the data"
        );
        let scale = 1.0 / (255.0 * self.trees.len() as f32);
        let packed = &self.packed().trees;
        let block = block_len(n);
        par::for_chunks_mut(&mut out, block * k, |bi, chunk| {
            let m = chunk.len() / k;
            let origins = &origins[bi * block..bi * block + m];
            let mut acc = vec![0u32; m * k];
            let mut leaf_ids = vec![0u32; m];
            for t in packed {
                walk(t, data, offsets, origins, &mut leaf_ids);
                for (j, &id) in leaf_ids.iter().enumerate() {
                    let d = &self.leaves[id as usize * k..(id as usize + 1) * k];
                    let a = &mut acc[j * k..(j + 1) * k];
                    for c in 0..k {
                        a[c] += d[c] as u32;
                    }
                }
            }
            for (o, a) in chunk.iter_mut().zip(&acc) {
                *o = *a as f32 * scale;
            }
        });
        out
    }

    /// Quantises feature planes (`n_features × n`) with the forest's own bin edges
    /// and predicts them.
    pub fn predict_planes(&self, planes: ArrayView2<f32>) -> Vec<f32> {
        self.predict_binned(&self.quantise_planes(planes))
    }

    /// Parallel quantisation into row-major bytes.
    pub fn quantise_planes(&self, planes: ArrayView2<f32>) -> Vec<u8> {
        let f = planes.nrows();
        assert_eq!(
            f,
            self.n_features(),
            "feature planes do not match the forest"
        );
        let mut rows = vec![0u8; planes.ncols() * f];
        let luts = &self.packed().luts;
        // Small blocks: a block of rows must stay in L1 while every feature's column
        // is written into it.
        par::for_chunks_mut(&mut rows, QBLOCK * f, |bi, chunk| {
            let start = bi * QBLOCK;
            let m = chunk.len() / f;
            for (j, plane) in planes.rows().into_iter().enumerate() {
                let (edges, lut) = (&self.bins.edges[j], &luts[j]);
                let plane = plane.slice(ndarray::s![start..start + m]);
                for (row, &x) in chunk.chunks_exact_mut(f).zip(plane.iter()) {
                    row[j] = lut.bin(edges, x);
                }
            }
        });
        rows
    }
}

/// Walks one tree for every origin. Several pixels walk in lock-step so that their
/// node loads overlap instead of waiting on each other's cache misses, and a lane
/// that reaches its leaf takes the next pixel at once, so short paths do not idle
/// while a long one finishes.
fn walk(nodes: &[u64], data: &[u8], offsets: &[isize], origins: &[usize], leaf_ids: &mut [u32]) {
    // Measured natively: 9–16 lanes walk about twice as fast as 8 (which the
    // compiler unrolls into a slower shape); 12 was fastest. In Chromium, 8 lanes
    // (fully unrolled, so the lanes live in wasm locals) was 8–11% faster than 12.
    #[cfg(target_arch = "wasm32")]
    const LANES: usize = 8;
    #[cfg(not(target_arch = "wasm32"))]
    const LANES: usize = 12;
    let n = origins.len();
    let mut slot = [0usize; LANES];
    let mut origin = [0isize; LANES];
    // Idle lanes park on the last node, which in pre-order is always a leaf.
    let mut pos = [nodes.len() as u32 - 1; LANES];
    let mut live = 0u32;
    let mut next = 0;
    for l in 0..LANES.min(n) {
        slot[l] = l;
        origin[l] = origins[l] as isize;
        pos[l] = 0;
        live |= 1 << l;
        next += 1;
    }
    while live != 0 {
        for l in 0..LANES {
            // SAFETY: `validate` keeps every child index inside the tree (checked
            // when the packed nodes were built).
            let node = unsafe { *nodes.get_unchecked(pos[l] as usize) };
            let feature = (node >> 32) as u8;
            if feature == LEAF {
                if live & (1 << l) != 0 {
                    leaf_ids[slot[l]] = node as u32;
                    if next < n {
                        slot[l] = next;
                        origin[l] = origins[next] as isize;
                        pos[l] = 0;
                        next += 1;
                    } else {
                        live &= !(1 << l);
                    }
                }
            } else {
                let threshold = (node >> 40) as u8;
                // SAFETY: `predict_at` checked that every origin plus every offset
                // lies inside `data`, and `validate` that features index `offsets`.
                let v = unsafe {
                    *data.get_unchecked(
                        (origin[l] + *offsets.get_unchecked(feature as usize)) as usize,
                    )
                };
                pos[l] = if v <= threshold {
                    pos[l] + 1
                } else {
                    node as u32
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::forest::binning::Bins;
    use crate::forest::layout::{quantise, Forest};
    use crate::forest::train::{train, ForestParams, TrainSet};
    use rand_xoshiro::rand_core::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn compact_layout_predicts_as_the_training_walk() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 6000;
        let f = 5;
        let rows: Vec<u8> = (0..n * f).map(|_| (rng.next_u32() >> 24) as u8).collect();
        // Labels from a noisy rule so trees grow deep and uneven.
        let labels: Vec<u8> = (0..n)
            .map(|i| {
                let r = &rows[i * f..(i + 1) * f];
                let base = ((r[0] as u32 + r[1] as u32 * 2) / 200) as u8 % 4;
                if rng.next_u32() % 10 == 0 {
                    (base + 1) % 4
                } else {
                    base
                }
            })
            .collect();
        let data = TrainSet {
            rows: &rows,
            labels: &labels,
            n_features: f,
            n_classes: 4,
        };
        let params = ForestParams {
            n_trees: 7,
            min_samples_leaf: 3,
            ..Default::default()
        };
        let trained = train(&data, &params).unwrap();
        let bins = Bins {
            edges: vec![(0..255).map(|e| e as f32 + 0.5).collect(); f],
        };
        let forest = Forest::from_trained(&trained.trees, bins, 4, &trained.importances);
        forest.validate().unwrap();
        assert_eq!(
            forest.n_nodes(),
            trained.trees.iter().map(|t| t.nodes.len()).sum::<usize>()
        );
        let test: Vec<u8> = (0..2000 * f)
            .map(|_| (rng.next_u32() >> 24) as u8)
            .collect();
        let probs = forest.predict_binned(&test);
        for i in 0..2000 {
            let row = &test[i * f..(i + 1) * f];
            let mut want = [0u32; 4];
            for (t, ct) in trained.trees.iter().zip(&forest.trees) {
                let q = quantise(t.dist_of(row));
                let leaf = ct.leaf(row);
                assert_eq!(&forest.leaves[leaf * 4..leaf * 4 + 4], &q[..]);
                for c in 0..4 {
                    want[c] += q[c] as u32;
                }
            }
            for c in 0..4 {
                let expected = want[c] as f32 / (255.0 * 7.0);
                assert!((probs[i * 4 + c] - expected).abs() < 1e-6);
            }
        }
    }
}
