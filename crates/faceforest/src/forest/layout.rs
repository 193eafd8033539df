//! The compact forest: what the model file stores and prediction walks.
//!
//! Each tree is three flat arrays in pre-order, so a node's left child is the next
//! node and only the right child needs an index. Feature ids and thresholds are bytes
//! (thresholds are bin numbers; the forest keeps the bin edges). Leaves point into one
//! table of leaf distributions quantised to bytes and shared by all trees, so the many
//! pure leaves of a deep forest cost one entry per class.

use crate::error::{Error, Result};
use crate::forest::binning::Bins;
use crate::forest::train::{TNode, TrainTree};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// A derived cache: never serialised, never part of equality.
#[derive(Clone, Debug, Default)]
pub struct PackedCache(std::sync::OnceLock<Packed>);

/// What prediction builds once from the stored forest.
#[derive(Debug)]
pub(crate) struct Packed {
    /// Runs of trees whose nodes, one after the other, number at most
    /// [`MAX_TREE_NODES`]: a walk takes a whole run at once (see [`WalkGroup`]).
    pub groups: Vec<std::ops::Range<usize>>,
    /// What a walk's leaves (node indices) are looked up in.
    pub leaves: LeafLookup,
    pub luts: Vec<crate::forest::binning::BinLut>,
    /// Walk nodes for the data layouts seen so far (see [`Forest::walk_nodes`]).
    walks: std::sync::Mutex<Vec<(Vec<isize>, Arc<WalkNodes>)>>,
}

/// Per group of trees, one entry per node (trees one after the other), meaningful
/// at leaves only.
#[derive(Clone, Debug)]
pub(crate) enum LeafLookup {
    /// The leaf's distribution as the eight bytes of a `u64`, for forests of at
    /// most eight classes and [`MAX_WORD_TREES`] trees: prediction then adds all
    /// classes at once.
    Words(Vec<Vec<u64>>),
    /// The leaf-table index, for all other forests.
    Table(Vec<Vec<u32>>),
}

/// The nodes of a run of trees as [`Forest::walk_nodes`] describes, one tree
/// after the other with children indexed across the run, and where each tree
/// starts: a walk goes through every tree for a block of pixels without
/// draining its lanes at each tree's end.
#[derive(Debug)]
pub(crate) struct WalkGroup {
    pub nodes: Vec<u64>,
    pub roots: Vec<u32>,
}

/// One [`WalkGroup`] per run of trees.
pub(crate) type WalkNodes = Vec<WalkGroup>;

impl Clone for Packed {
    fn clone(&self) -> Packed {
        Packed {
            groups: self.groups.clone(),
            leaves: self.leaves.clone(),
            luts: self.luts.clone(),
            walks: Default::default(),
        }
    }
}

/// Most trees whose summed leaf bytes fit 16 bits (257 × 255 < 65536).
pub(crate) const MAX_WORD_TREES: usize = 257;

/// Data layouts whose walk nodes are kept: a frame uses one per stage.
const KEPT_LAYOUTS: usize = 4;
/// Walk nodes hold the right child in 24 bits (counted across a run of trees, see
/// [`Packed::groups`]) and the offset in 31 (signed).
const MAX_TREE_NODES: usize = 1 << 24;
const MAX_OFFSET: isize = 1 << 30;

impl PartialEq for PackedCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Marks a leaf in [`CompactTree::feature`].
pub const LEAF: u8 = u8::MAX;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactTree {
    /// Feature id per node, or [`LEAF`].
    pub feature: Vec<u8>,
    /// Bin threshold per split node (`bin <= threshold` goes left); 0 for leaves.
    pub threshold: Vec<u8>,
    /// Right-child index for a split node, leaf-table index for a leaf.
    pub next: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    pub n_classes: u16,
    pub bins: Bins,
    pub trees: Vec<CompactTree>,
    /// Leaf distributions, `n_classes` bytes each, summing to 255.
    pub leaves: Vec<u8>,
    /// Mean decrease in impurity per feature.
    pub importances: Vec<f32>,
    /// What prediction derives from the trees (bin lookup tables, walk nodes),
    /// built on first use.
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

impl Forest {
    pub fn from_trained(
        trees: &[TrainTree],
        bins: Bins,
        n_classes: usize,
        importances: &[f64],
    ) -> Forest {
        let mut table: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut leaves: Vec<u8> = Vec::new();
        let compact = trees
            .iter()
            .map(|t| {
                let mut out = CompactTree {
                    feature: vec![],
                    threshold: vec![],
                    next: vec![],
                };
                // Iterative pre-order: push right after left so left comes next.
                let mut stack = vec![(0usize, usize::MAX)];
                while let Some((i, parent_slot)) = stack.pop() {
                    let here = out.feature.len();
                    if parent_slot != usize::MAX {
                        out.next[parent_slot] = here as u32;
                    }
                    match &t.nodes[i] {
                        TNode::Leaf { dist } => {
                            let q = quantise(dist);
                            let id = *table.entry(q.clone()).or_insert_with(|| {
                                leaves.extend_from_slice(&q);
                                (leaves.len() / n_classes - 1) as u32
                            });
                            out.feature.push(LEAF);
                            out.threshold.push(0);
                            out.next.push(id);
                        }
                        TNode::Split {
                            feature,
                            bin,
                            left,
                            right,
                        } => {
                            out.feature.push(*feature as u8);
                            out.threshold.push(*bin);
                            out.next.push(0);
                            stack.push((*right as usize, here));
                            stack.push((*left as usize, usize::MAX));
                        }
                    }
                }
                out
            })
            .collect();
        Forest {
            n_classes: n_classes as u16,
            bins,
            trees: compact,
            leaves,
            importances: importances.iter().map(|&x| x as f32).collect(),
            packed: Default::default(),
        }
    }

    /// The packed nodes, built on first use from a forest that must be valid
    /// (prediction relies on it to skip bounds checks).
    pub(crate) fn packed(&self) -> &Packed {
        self.packed.0.get_or_init(|| {
            if let Err(e) = self.validate() {
                panic!("predicting with an invalid forest: {e}");
            }
            self.pack()
        })
    }

    fn pack(&self) -> Packed {
        // Runs of trees within the walk's 24-bit node indices.
        let mut groups: Vec<std::ops::Range<usize>> = vec![];
        let mut total = 0;
        for (i, t) in self.trees.iter().enumerate() {
            let n = t.feature.len();
            match groups.last_mut() {
                Some(g) if total + n <= MAX_TREE_NODES => {
                    g.end = i + 1;
                    total += n;
                }
                _ => {
                    groups.push(i..i + 1);
                    total = n;
                }
            }
        }
        let leaf_of: Vec<Vec<u32>> = groups
            .iter()
            .map(|g| {
                self.trees[g.clone()]
                    .iter()
                    .flat_map(|t| {
                        let leaf = |i: usize| if t.feature[i] == LEAF { t.next[i] } else { 0 };
                        (0..t.feature.len()).map(leaf)
                    })
                    .collect()
            })
            .collect();
        let k = self.n_classes as usize;
        let leaves = if k <= 8 && self.trees.len() <= MAX_WORD_TREES {
            let words = groups
                .iter()
                .zip(&leaf_of)
                .map(|(g, ids)| {
                    let is_leaf = self.trees[g.clone()]
                        .iter()
                        .flat_map(|t| t.feature.iter().map(|&f| f == LEAF));
                    ids.iter()
                        .zip(is_leaf)
                        .map(|(&id, leaf)| {
                            let d = &self.leaves[id as usize * k..(id as usize + 1) * k];
                            let mut b = [0u8; 8];
                            b[..k].copy_from_slice(d);
                            if leaf {
                                u64::from_le_bytes(b)
                            } else {
                                0
                            }
                        })
                        .collect()
                })
                .collect();
            LeafLookup::Words(words)
        } else {
            LeafLookup::Table(leaf_of)
        };
        Packed {
            groups,
            leaves,
            walks: Default::default(),
            luts: self
                .bins
                .edges
                .iter()
                .map(|e| crate::forest::binning::BinLut::new(e))
                .collect(),
        }
    }

    /// The nodes as prediction walks them over one data layout (feature `j` of a
    /// pixel at byte `origin + offsets[j]`), one `u64` each: the low word holds the
    /// right child (24 bits) and the bin limit (8 bits; `bin < limit` goes left),
    /// the high word the feature's byte offset (signed). Folding the offset in saves
    /// the walk a dependent load per node, and whole words let a SIMD walk gather
    /// either half directly. A leaf is its own right child with limit 0, so a step
    /// from a leaf stays on it and the walk can take several steps between checks
    /// for leaves. (A split at bin 255 sends everything left: both its children are
    /// the next node.)
    pub(crate) fn walk_nodes(&self, offsets: &[isize]) -> Arc<WalkNodes> {
        let packed = self.packed();
        let mut walks = packed.walks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, nodes)) = walks.iter().find(|(o, _)| o == offsets) {
            return nodes.clone();
        }
        assert!(
            offsets.iter().all(|o| o.abs() < MAX_OFFSET),
            "feature offsets beyond ±1 GiB"
        );
        // Node i of a tree starting at `base` of its group.
        let node = |t: &CompactTree, base: u64, i: usize| {
            if t.feature[i] == LEAF {
                base + i as u64
            } else {
                let off = offsets[t.feature[i] as usize] as i32 as u32 as u64;
                let (right, limit) = match t.threshold[i] {
                    255 => (i as u64 + 1, 255),
                    th => (t.next[i] as u64, th as u64 + 1),
                };
                (base + right) | limit << 24 | off << 32
            }
        };
        let nodes: Arc<WalkNodes> = Arc::new(
            packed
                .groups
                .iter()
                .map(|g| {
                    let mut group = WalkGroup {
                        nodes: vec![],
                        roots: vec![],
                    };
                    for t in &self.trees[g.clone()] {
                        let base = group.nodes.len();
                        group.roots.push(base as u32);
                        group
                            .nodes
                            .extend((0..t.feature.len()).map(|i| node(t, base as u64, i)));
                    }
                    group
                })
                .collect(),
        );
        if walks.len() == KEPT_LAYOUTS {
            walks.remove(0);
        }
        walks.push((offsets.to_vec(), nodes.clone()));
        nodes
    }

    pub fn n_features(&self) -> usize {
        self.bins.n_features()
    }

    pub fn n_nodes(&self) -> usize {
        self.trees.iter().map(|t| t.feature.len()).sum()
    }

    pub fn n_leaves(&self) -> usize {
        self.trees
            .iter()
            .map(|t| t.feature.iter().filter(|&&f| f == LEAF).count())
            .sum()
    }

    pub fn max_depth(&self) -> usize {
        self.trees.iter().map(|t| t.depth()).max().unwrap_or(0)
    }

    /// Checks every index so that a damaged model can never make prediction panic
    /// or loop: children lie after their parent (pre-order), features and leaf ids
    /// are in range, and each tree's nodes form one binary tree.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::CorruptModel(m));
        let k = self.n_classes as usize;
        if k == 0 || !self.leaves.len().is_multiple_of(k) {
            return bad("leaf table does not match the class count".into());
        }
        let n_leaves = (self.leaves.len() / k) as u32;
        let nf = self.n_features();
        if nf == 0 || nf >= LEAF as usize {
            return bad(format!("{nf} features"));
        }
        if self.trees.is_empty() {
            return bad("the forest has no trees".into());
        }
        for (ti, t) in self.trees.iter().enumerate() {
            let n = t.feature.len();
            if n == 0 || t.threshold.len() != n || t.next.len() != n {
                return bad(format!("tree {ti} has inconsistent arrays"));
            }
            if n > MAX_TREE_NODES {
                return bad(format!(
                    "tree {ti} has {n} nodes (at most {MAX_TREE_NODES})"
                ));
            }
            // Walk the pre-order structure: each subtree must end where the next begins.
            let mut stack: Vec<usize> = vec![0];
            let mut expected = 0usize;
            while let Some(i) = stack.pop() {
                if i != expected || i >= n {
                    return bad(format!("tree {ti} is not a pre-order binary tree"));
                }
                expected += 1;
                if t.feature[i] == LEAF {
                    if t.next[i] >= n_leaves {
                        return bad(format!("tree {ti} points past the leaf table"));
                    }
                } else {
                    if t.feature[i] as usize >= nf {
                        return bad(format!("tree {ti} uses feature {} of {nf}", t.feature[i]));
                    }
                    let r = t.next[i] as usize;
                    if r <= i + 1 || r >= n {
                        return bad(format!("tree {ti} has a right child out of order"));
                    }
                    stack.push(r);
                    stack.push(i + 1);
                }
            }
            if expected != n {
                return bad(format!("tree {ti} has unreachable nodes"));
            }
        }
        Ok(())
    }
}

impl CompactTree {
    /// Leaf-table index reached by a quantised row.
    #[inline]
    pub fn leaf(&self, row: &[u8]) -> usize {
        let mut i = 0usize;
        loop {
            let f = self.feature[i];
            if f == LEAF {
                return self.next[i] as usize;
            }
            i = if row[f as usize] <= self.threshold[i] {
                i + 1
            } else {
                self.next[i] as usize
            };
        }
    }

    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(0usize, 0usize)];
        while let Some((i, d)) = stack.pop() {
            max = max.max(d);
            if self.feature[i] != LEAF {
                stack.push((i + 1, d + 1));
                stack.push((self.next[i] as usize, d + 1));
            }
        }
        max
    }
}

/// Probabilities to bytes summing to exactly 255 (largest remainders get the rest).
pub fn quantise(dist: &[f32]) -> Vec<u8> {
    let scaled: Vec<f32> = dist.iter().map(|&p| p.max(0.0) * 255.0).collect();
    let mut q: Vec<u8> = scaled.iter().map(|&x| x.floor().min(255.0) as u8).collect();
    let mut rest = 255i32 - q.iter().map(|&x| x as i32).sum::<i32>();
    let mut order: Vec<usize> = (0..q.len()).collect();
    order.sort_by(|&a, &b| {
        (scaled[b] - scaled[b].floor())
            .total_cmp(&(scaled[a] - scaled[a].floor()))
            .then(a.cmp(&b))
    });
    let mut i = 0;
    while rest > 0 && !order.is_empty() {
        let c = order[i % order.len()];
        if q[c] < 255 {
            q[c] += 1;
            rest -= 1;
        }
        i += 1;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantise_sums_to_255() {
        for d in [
            vec![1.0, 0.0, 0.0],
            vec![1.0 / 3.0; 3],
            vec![0.5, 0.25, 0.125, 0.125],
            vec![0.999, 0.001],
        ] {
            let q = quantise(&d);
            assert_eq!(
                q.iter().map(|&x| x as u32).sum::<u32>(),
                255,
                "{d:?} -> {q:?}"
            );
        }
        assert_eq!(quantise(&[0.0, 1.0]), vec![0, 255]);
    }
}
