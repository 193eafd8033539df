//! Prediction over pixel blocks: every tree is walked for a block of rows before the
//! next tree, so one tree's nodes stay in cache; blocks run in parallel.

use crate::forest::layout::{Forest, LEAF};
use crate::par;
use ndarray::ArrayView2;

/// Rows per block: big enough to amortise a tree's cache misses, small enough to
/// spread a 256×256 frame over many threads.
const BLOCK: usize = 1024;
/// Rows per block when quantising (about 16 KB of bytes for 140 features).
const QBLOCK: usize = 128;

impl Forest {
    /// Class probabilities of quantised rows (`n × n_features`), `n × n_classes`.
    pub fn predict_binned(&self, rows: &[u8]) -> Vec<f32> {
        let f = self.n_features();
        let k = self.n_classes as usize;
        let n = rows.len() / f;
        let mut out = vec![0f32; n * k];
        let scale = 1.0 / (255.0 * self.trees.len() as f32);
        let packed = &self.packed().trees;
        par::for_chunks_mut(&mut out, BLOCK * k, |bi, chunk| {
            let start = bi * BLOCK;
            let m = chunk.len() / k;
            let rows = &rows[start * f..(start + m) * f];
            let mut acc = vec![0u32; m * k];
            let mut leaf_ids = vec![0u32; m];
            for t in packed {
                walk(t, rows, f, &mut leaf_ids);
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
        self.predict_binned(&self.quantise_parts(&[planes]))
    }

    /// Parallel quantisation into row-major bytes.
    pub fn quantise_planes(&self, planes: ArrayView2<f32>) -> Vec<u8> {
        self.quantise_parts(&[planes])
    }

    /// Quantises features given as several stacked blocks of planes (e.g. the
    /// features and a context stage's probability samples) without copying them
    /// into one array first.
    pub fn quantise_parts(&self, parts: &[ArrayView2<f32>]) -> Vec<u8> {
        let f: usize = parts.iter().map(|p| p.nrows()).sum();
        let n = parts.first().map_or(0, |p| p.ncols());
        assert!(
            parts.iter().all(|p| p.ncols() == n) && f == self.n_features(),
            "feature planes do not match the forest"
        );
        let mut rows = vec![0u8; n * f];
        let mut first = 0;
        for p in parts {
            self.quantise_into(*p, &mut rows, f, first);
            first += p.nrows();
        }
        rows
    }

    /// Quantises `planes` (features `first..first + planes.nrows()` of this forest)
    /// into row-major rows of `stride` bytes.
    pub fn quantise_into(
        &self,
        planes: ArrayView2<f32>,
        rows: &mut [u8],
        stride: usize,
        first: usize,
    ) {
        let luts = &self.packed().luts;
        // Small blocks: a block of rows must stay in L1 while every feature's column
        // is written into it.
        par::for_chunks_mut(rows, QBLOCK * stride, |bi, chunk| {
            let start = bi * QBLOCK;
            let m = chunk.len() / stride;
            for (j, plane) in planes.rows().into_iter().enumerate() {
                let (edges, lut) = (&self.bins.edges[first + j], &luts[first + j]);
                let plane = plane.slice(ndarray::s![start..start + m]);
                for (row, &x) in chunk.chunks_exact_mut(stride).zip(plane.iter()) {
                    row[first + j] = lut.bin(edges, x);
                }
            }
        });
    }

    /// Quantises one value of feature `j` exactly as [`Forest::quantise_planes`] would.
    #[inline]
    pub fn quantise_value(&self, j: usize, x: f32) -> u8 {
        self.packed().luts[j].bin(&self.bins.edges[j], x)
    }
}

/// Walks one tree for every row, several rows in lock-step so that their node
/// loads overlap instead of waiting on each other's cache misses.
fn walk(nodes: &[u64], rows: &[u8], f: usize, leaf_ids: &mut [u32]) {
    const LANES: usize = 8;
    let n = leaf_ids.len();
    let mut base = 0;
    while base < n {
        let lanes = LANES.min(n - base);
        let mut pos = [0u32; LANES];
        loop {
            let mut active = false;
            for l in 0..lanes {
                let node = nodes[pos[l] as usize];
                let feature = (node >> 32) as u8;
                if feature != LEAF {
                    active = true;
                    let threshold = (node >> 40) as u8;
                    let v = rows[(base + l) * f + feature as usize];
                    pos[l] = if v <= threshold {
                        pos[l] + 1
                    } else {
                        node as u32
                    };
                }
            }
            if !active {
                break;
            }
        }
        for l in 0..lanes {
            leaf_ids[base + l] = nodes[pos[l] as usize] as u32;
        }
        base += lanes;
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
