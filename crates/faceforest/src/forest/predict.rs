//! Prediction over pixel blocks: one walk takes a block's pixels through every tree
//! in turn (tree-major, so each tree's nodes are in cache while its pixels pass;
//! one walk for all trees, so the walk's lanes drain once per block, not once per
//! tree: 15% off the shipped model's frame); blocks run in parallel.

use crate::forest::layout::{Forest, LeafLookup};
use crate::forest::walk;
use crate::par;
use ndarray::ArrayView2;

/// Pixels per block: a block's pixels pass one tree before the next, so the larger
/// the block, the more pixels share each tree's nodes once they are in cache (deep
/// forests far larger than the cache need this); but blocks differ in cost (a
/// face's pixels walk deeper than the background's), and with 8 per thread the two
/// threads finish together (natively the shipped model's stage walks ran 1.6–2.0×
/// faster on 2 threads than on 1, against 1.6× with 2 blocks per thread; the
/// 55-tree forest's walk did not change measurably).
fn block_len(n: usize) -> usize {
    (n / (8 * par::threads())).clamp(256, 16384)
}
thread_local! {
    /// Each thread's leaf buffer for [`Forest::predict_at`]'s walks.
    static LEAF_IDS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
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
        // Every read the walk can make lies inside `data` (leaves read at offset 0).
        let (lo, hi) = (
            (*offsets.iter().min().unwrap()).min(0),
            (*offsets.iter().max().unwrap()).max(0),
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
        let packed = self.packed();
        let groups = self.walk_nodes(offsets);
        let block = block_len(n);
        par::for_chunks_mut(&mut out, block * k, |bi, chunk| {
            let m = chunk.len() / k;
            let origins = &origins[bi * block..bi * block + m];
            // This block's farthest read (the SIMD walk needs slack past it).
            let max_read = (*origins.iter().max().unwrap() as isize + hi) as usize;
            let narrow = walk::narrow_origins(origins, data);
            let most = groups.iter().map(|g| g.roots.len()).max().unwrap_or(0);
            // The walk writes every entry; a thread's buffer is kept from block to
            // block rather than allocated and zeroed each time (a megabyte a stage).
            let mut leaf_ids = LEAF_IDS.with(|b| b.take());
            leaf_ids.resize(m * most, 0);
            match &packed.leaves {
                LeafLookup::Words(words) => {
                    // Four 16-bit class sums in each of two words per pixel: even
                    // classes in one, odd in the other (no carries: see
                    // MAX_WORD_TREES).
                    let mut acc = [vec![0u64; m], vec![0u64; m]];
                    for (g, words) in groups.iter().zip(words) {
                        let ids = &mut leaf_ids[..m * g.roots.len()];
                        walk::walk(&g.nodes, &g.roots, data, origins, &narrow, max_read, ids);
                        for tree in ids.chunks_exact(m) {
                            walk::add_leaf_words(words, tree, &mut acc);
                        }
                    }
                    let sums = chunk.chunks_exact_mut(k).zip(&acc[0]).zip(&acc[1]);
                    for ((o, &e), &d) in sums {
                        // Class c's sum: lane c / 2 of the even or odd word.
                        let lanes = [e, d, e >> 16, d >> 16, e >> 32, d >> 32, e >> 48, d >> 48];
                        for (o, &sum) in o.iter_mut().zip(&lanes) {
                            *o = sum as u16 as f32 * scale;
                        }
                    }
                }
                LeafLookup::Table(table) => {
                    let mut acc = vec![0u32; m * k];
                    for (g, leaf_of) in groups.iter().zip(table) {
                        let ids = &mut leaf_ids[..m * g.roots.len()];
                        walk::walk(&g.nodes, &g.roots, data, origins, &narrow, max_read, ids);
                        for tree in ids.chunks_exact(m) {
                            for (j, &node) in tree.iter().enumerate() {
                                let id = leaf_of[node as usize] as usize;
                                let d = &self.leaves[id * k..(id + 1) * k];
                                let a = &mut acc[j * k..(j + 1) * k];
                                for c in 0..k {
                                    a[c] += d[c] as u32;
                                }
                            }
                        }
                    }
                    for (o, a) in chunk.iter_mut().zip(&acc) {
                        *o = *a as f32 * scale;
                    }
                }
            }
            LEAF_IDS.with(|b| b.set(leaf_ids));
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
            weights: None,
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

    #[test]
    fn every_data_layout_and_tiny_trees_predict_alike() {
        use crate::forest::layout::{CompactTree, LEAF};
        let f = 3;
        // A lone leaf, a stump on feature 2, and a two-level tree on features 0, 1.
        let trees = vec![
            CompactTree {
                feature: vec![LEAF],
                threshold: vec![0],
                next: vec![0],
            },
            CompactTree {
                feature: vec![2, LEAF, LEAF],
                threshold: vec![99, 0, 0],
                next: vec![2, 1, 2],
            },
            CompactTree {
                feature: vec![0, LEAF, 1, LEAF, LEAF],
                threshold: vec![10, 0, 200, 0, 0],
                next: vec![2, 3, 4, 0, 1],
            },
        ];
        let forest = Forest {
            n_classes: 2,
            bins: crate::forest::binning::Bins {
                edges: vec![vec![0.5]; f],
            },
            trees,
            leaves: vec![255, 0, 0, 255, 128, 127, 64, 191, 10, 245],
            importances: vec![0.0; f],
            packed: Default::default(),
        };
        forest.validate().unwrap();
        let rows: Vec<u8> = (0..50u32 * f as u32)
            .map(|i| (i * 37 % 256) as u8)
            .collect();
        let want: Vec<f32> = rows
            .chunks_exact(f)
            .flat_map(|r| {
                let mut acc = [0u32; 2];
                for t in &forest.trees {
                    let leaf = t.leaf(r);
                    acc[0] += forest.leaves[leaf * 2] as u32;
                    acc[1] += forest.leaves[leaf * 2 + 1] as u32;
                }
                acc.map(|a| a as f32 / (255.0 * 3.0))
            })
            .collect();
        assert_eq!(forest.predict_binned(&rows), want);
        // The same pixels as planes (feature j of pixel i at j*50 + i), read from
        // every other pixel, then back to rows: each layout gets its own walk nodes.
        let planes: Vec<u8> = (0..f)
            .flat_map(|j| rows.chunks_exact(f).map(move |r| r[j]))
            .collect();
        let offsets: Vec<isize> = (0..f as isize).map(|j| j * 50).collect();
        let origins: Vec<usize> = (0..50).step_by(2).collect();
        let every_other: Vec<f32> = want.chunks_exact(2).step_by(2).flatten().copied().collect();
        assert_eq!(forest.predict_at(&planes, &offsets, &origins), every_other);
        assert_eq!(forest.predict_binned(&rows), want);
        // Too many trees for 16-bit class sums: the general accumulation, same
        // averages.
        let many = Forest {
            trees: (0..86).flat_map(|_| forest.trees.clone()).collect(),
            packed: Default::default(),
            ..forest.clone()
        };
        assert!(many.trees.len() > crate::forest::layout::MAX_WORD_TREES);
        assert!(
            matches!(
                many.packed().leaves,
                crate::forest::layout::LeafLookup::Table(_)
            ) && matches!(
                forest.packed().leaves,
                crate::forest::layout::LeafLookup::Words(_)
            )
        );
        for (a, b) in many.predict_binned(&rows).iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}
