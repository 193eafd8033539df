//! The tree walk: many pixels through a run of trees, as fast as the machine allows.
//! Nodes come from [`Forest::walk_nodes`](crate::forest::layout::Forest): a `u64`
//! per node, low word `right child | limit << 24`, high word the feature's byte
//! offset. Leaves are their own right child with limit 0, so a walk may step past
//! a leaf and stay on it; walks check for leaves only every few steps ([`STEPS`]
//! in the portable walk).
//!
//! Two walks give identical leaves: a portable one (several scalar lanes in
//! lock-step) and, on x86-64 CPUs with AVX-512, one that moves 16 pixels a step
//! with gathers.

use std::sync::atomic::{AtomicU8, Ordering};

/// Steps between checks for leaves in the portable walk.
const STEPS: usize = 4;

/// Whether the SIMD walk runs: 0 not yet decided, 1 no, 2 yes.
static SIMD: AtomicU8 = AtomicU8::new(0);

/// Allows or forbids the SIMD walk (it runs only where the CPU has it), so that
/// benchmarks can time both walks in one run. `FACEFOREST_SIMD=0` in the
/// environment forbids it from the start.
pub fn allow_simd(on: bool) {
    SIMD.store(if on && cpu_has_simd() { 2 } else { 1 }, Ordering::Relaxed);
}

/// Whether walks run with SIMD on this machine now.
pub fn simd_active() -> bool {
    match SIMD.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("FACEFOREST_SIMD").is_none_or(|v| v != "0");
            allow_simd(on);
            on && cpu_has_simd()
        }
        state => state == 2,
    }
}

fn cpu_has_simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Bytes a SIMD walk may read past the last byte a node addresses: it gathers
/// whole 32-bit words.
pub const SIMD_SLACK: usize = 3;

/// Leaf (node index) of every origin in every tree, with the fastest walk the
/// data allows: `leaves[t * n + i]` for the tree at `roots[t]` and origin `i`.
/// One call walks all the trees, so the lanes drain once, not once per tree.
/// `max_read` is the largest byte index any node can address from these origins;
/// the caller has checked it and the smallest lie inside `data`. `narrow` holds
/// the same origins as `u32` for the SIMD walk (see [`narrow_origins`]), or is
/// empty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn walk(
    nodes: &[u64],
    roots: &[u32],
    data: &[u8],
    origins: &[usize],
    narrow: &[u32],
    max_read: usize,
    leaves: &mut [u32],
) {
    assert_eq!(
        leaves.len(),
        roots.len() * origins.len(),
        "a leaf per tree and origin"
    );
    #[cfg(target_arch = "x86_64")]
    if simd_active()
        && narrow.len() == origins.len()
        && max_read + SIMD_SLACK < data.len()
        && data.len() <= i32::MAX as usize
    {
        // SAFETY: the CPU has AVX-512F (checked above); every read lies inside
        // `data` with the slack its 32-bit gathers need (checked above, and by the
        // caller for the smallest read); node indices, roots included, stay inside
        // `nodes` (`validate` before the nodes were built).
        unsafe { avx512::walk(nodes, roots, data, narrow, leaves) };
        return;
    }
    let _ = (narrow, max_read);
    scalar(nodes, roots, data, origins, leaves);
}

/// Adds each pixel's leaf distribution (`words[leaf]`, eight class bytes) to its
/// sums: even classes' bytes spread into the four 16-bit lanes of `acc[0]`, odd
/// classes' into `acc[1]`. With AVX-512, eight pixels a step: one gather and four
/// whole-vector adds instead of eight dependent scalar rounds.
pub(crate) fn add_leaf_words(words: &[u64], leaves: &[u32], acc: &mut [Vec<u64>; 2]) {
    let n = leaves.len();
    assert!(acc[0].len() == n && acc[1].len() == n, "one sum per leaf");
    #[cfg(target_arch = "x86_64")]
    if simd_active() {
        assert!(
            leaves.iter().all(|&l| (l as usize) < words.len()) && words.len() <= i32::MAX as usize,
            "leaves index the words"
        );
        // SAFETY: the CPU has AVX-512F; every leaf indexes `words` (checked above).
        unsafe { avx512::add_leaf_words(words, leaves, acc) };
        return;
    }
    add_words_from(0, words, leaves, acc);
}

/// [`add_leaf_words`] one pixel at a time, from pixel `from`.
fn add_words_from(from: usize, words: &[u64], leaves: &[u32], acc: &mut [Vec<u64>; 2]) {
    const SPREAD: u64 = 0x00ff_00ff_00ff_00ff;
    let [even, odd] = acc;
    for ((e, o), &leaf) in even.iter_mut().zip(odd.iter_mut()).zip(leaves).skip(from) {
        let d = words[leaf as usize];
        *e += d & SPREAD;
        *o += d >> 8 & SPREAD;
    }
}

/// The origins as the SIMD walk takes them, when it can run on `data`; else empty.
pub(crate) fn narrow_origins(origins: &[usize], data: &[u8]) -> Vec<u32> {
    if simd_active() && data.len() <= i32::MAX as usize {
        origins.iter().map(|&o| o as u32).collect()
    } else {
        vec![]
    }
}

/// Several pixels in lock-step so that their loads overlap instead of waiting on
/// each other's cache misses; a lane that has reached a leaf records it and takes
/// the next pixel (of the same tree, or the first of the next).
pub(crate) fn scalar(
    nodes: &[u64],
    roots: &[u32],
    data: &[u8],
    origins: &[usize],
    leaves: &mut [u32],
) {
    // 8 lanes × 4 steps was the fastest of 8×2, 8×4, 12×4 and 16×2 in wasm and of
    // 8×4, 12×2, 12×4, 16×4 natively.
    const LANES: usize = 8;
    let n = origins.len();
    let jobs = n * roots.len();
    if jobs == 0 {
        return;
    }
    // Idle lanes park on the last node, which in pre-order is always a leaf (and
    // reads the byte at its origin, in bounds).
    let park = nodes.len() as u32 - 1;
    let mut slot = [usize::MAX; LANES];
    let mut origin = [origins[0] as isize; LANES];
    let mut pos = [park; LANES];
    // Job j: tree j / n, origin j % n.
    let take = |j: usize| (j, origins[j % n] as isize, roots[j / n]);
    let mut next = 0;
    let mut live = 0;
    for l in 0..LANES.min(jobs) {
        (slot[l], origin[l], pos[l]) = take(next);
        next += 1;
        live += 1;
    }
    while live != 0 {
        for _ in 0..STEPS {
            for l in 0..LANES {
                // SAFETY: `validate` keeps every child index inside the tree (checked
                // before the walk nodes were built), and the caller checked that
                // every origin plus every offset lies inside `data`.
                let node = unsafe { *nodes.get_unchecked(pos[l] as usize) };
                let limit = node as u32 >> 24;
                let offset = (node >> 32) as i32 as isize;
                let v = unsafe { *data.get_unchecked((origin[l] + offset) as usize) };
                pos[l] = if (v as u32) < limit {
                    pos[l] + 1
                } else {
                    node as u32 & 0xff_ffff
                };
            }
        }
        for l in 0..LANES {
            // SAFETY: as above.
            let node = unsafe { *nodes.get_unchecked(pos[l] as usize) };
            if node as u32 >> 24 == 0 && slot[l] != usize::MAX {
                leaves[slot[l]] = pos[l];
                if next < jobs {
                    (slot[l], origin[l], pos[l]) = take(next);
                    next += 1;
                } else {
                    slot[l] = usize::MAX;
                    pos[l] = park;
                    live -= 1;
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// [`super::add_leaf_words`], eight pixels a step.
    ///
    /// # Safety
    /// The CPU has AVX-512F; every leaf indexes `words`, whose length fits an `i32`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn add_leaf_words(words: &[u64], leaves: &[u32], acc: &mut [Vec<u64>; 2]) {
        let n = leaves.len();
        let spread = _mm512_set1_epi64(0x00ff_00ff_00ff_00ff);
        let base = words.as_ptr() as *const i64;
        let [even, odd] = acc;
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: 8 leaves and sums from i; the leaves index `words`.
            let ids = _mm256_loadu_si256(leaves.as_ptr().add(i) as *const __m256i);
            let d = _mm512_i32gather_epi64::<8>(ids, base);
            let (e, o) = (
                even.as_mut_ptr().add(i) as *mut __m512i,
                odd.as_mut_ptr().add(i) as *mut __m512i,
            );
            _mm512_storeu_si512(
                e,
                _mm512_add_epi64(_mm512_loadu_si512(e), _mm512_and_si512(d, spread)),
            );
            _mm512_storeu_si512(
                o,
                _mm512_add_epi64(
                    _mm512_loadu_si512(o),
                    _mm512_and_si512(_mm512_srli_epi64::<8>(d), spread),
                ),
            );
            i += 8;
        }
        super::add_words_from(i, words, leaves, acc);
    }

    /// Vectors of 16 pixels walked side by side: one vector's gathers wait on the
    /// previous step's, so several independent vectors keep the loads busy; and
    /// steps between checks for leaves (each check is a gather). With one walk
    /// through all trees, 6 × 6 beat 8 × 4 by 4–9% on the shipped model's frame
    /// (in-process A/B, three runs; 6 × 4 +1–6%, 4 × 4 and 8 × 3 no better), and
    /// 8 vectors and 16 registers of state leave the compiler none to spare.
    const GROUPS: usize = 6;
    const STEPS: usize = 6;

    /// [`super::scalar`] with vectors of sixteen pixels: nodes and data bytes are
    /// gathered, the comparison and the choice of child are one instruction each,
    /// and finished lanes hand their leaves out with a scatter and take the next
    /// pixels with an expanding load, all in registers (storing the lanes to
    /// memory and reloading them, the first version, was 10% slower overall).
    ///
    /// # Safety
    /// The CPU has AVX-512F; every byte index `origin + offset` any node can form
    /// lies in `0..data.len() - 3` and `data.len()` fits an `i32`; node indices
    /// stay inside `nodes`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn walk(
        nodes: &[u64],
        roots: &[u32],
        data: &[u8],
        origins: &[u32],
        leaves: &mut [u32],
    ) {
        let n = origins.len();
        let jobs = n * roots.len();
        let park = _mm512_set1_epi32(nodes.len() as i32 - 1);
        let whole = nodes.as_ptr() as *const i64;
        let low = nodes.as_ptr() as *const i32;
        let bytes = data.as_ptr() as *const i32;
        let lows = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let highs = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let (one, zero) = (_mm512_set1_epi32(1), _mm512_setzero_si512());
        let (child, byte) = (_mm512_set1_epi32(0xff_ffff), _mm512_set1_epi32(0xff));
        // Every lane starts parked and done: the first check hands out pixels.
        let (mut pos, mut org, mut slot) = ([park; GROUPS], [zero; GROUPS], [zero; GROUPS]);
        let mut active = [0u16; GROUPS];
        // The next job: tree `tree`, origin `pix`; `next` counts them.
        let (mut next, mut tree, mut pix) = (0, 0, 0);
        let mut first = true;
        while first || active.iter().any(|&a| a != 0) {
            if !first {
                for _ in 0..STEPS {
                    for g in 0..GROUPS {
                        // SAFETY (all gathers): see the function's contract. Whole
                        // nodes, eight per gather (half the loads of gathering each
                        // word), then split into their low and high words.
                        let a = _mm512_i32gather_epi64::<8>(_mm512_castsi512_si256(pos[g]), whole);
                        let b = _mm512_i32gather_epi64::<8>(
                            _mm512_extracti64x4_epi64::<1>(pos[g]),
                            whole,
                        );
                        let word = _mm512_permutex2var_epi32(a, lows, b);
                        let offset = _mm512_permutex2var_epi32(a, highs, b);
                        let at = _mm512_add_epi32(org[g], offset);
                        let v = _mm512_and_si512(_mm512_i32gather_epi32::<1>(at, bytes), byte);
                        let left = _mm512_cmplt_epu32_mask(v, _mm512_srli_epi32::<24>(word));
                        pos[g] =
                            _mm512_mask_add_epi32(_mm512_and_si512(word, child), left, pos[g], one);
                    }
                }
            }
            for g in 0..GROUPS {
                // Lanes whose pixel reached a leaf, and idle lanes: all may take a
                // job.
                let done = if first {
                    0
                } else {
                    let word = _mm512_i32gather_epi32::<8>(pos[g], low);
                    _mm512_cmpeq_epi32_mask(_mm512_srli_epi32::<24>(word), zero) & active[g]
                };
                let free = done | !active[g];
                if free == 0 || (done == 0 && next == jobs) {
                    continue;
                }
                // Leaves of the finished lanes go to their jobs' slots.
                _mm512_mask_i32scatter_epi32::<4>(
                    leaves.as_mut_ptr() as *mut i32,
                    done,
                    slot[g],
                    pos[g],
                );
                // The next jobs, in order, into as many free lanes as the current
                // tree has pixels left (the next group goes on with the next tree).
                let mut refill = free;
                let left = (n - pix).min(jobs - next);
                while refill.count_ones() as usize > left {
                    refill &= !(1 << (15 - refill.leading_zeros()));
                }
                let taken = refill.count_ones() as usize;
                if taken > 0 {
                    org[g] = _mm512_mask_expandloadu_epi32(
                        org[g],
                        refill,
                        origins.as_ptr().add(pix) as *const i32,
                    );
                    let ids = _mm512_add_epi32(iota, _mm512_set1_epi32(next as i32));
                    slot[g] = _mm512_mask_expand_epi32(slot[g], refill, ids);
                    pos[g] = _mm512_mask_mov_epi32(
                        pos[g],
                        refill,
                        _mm512_set1_epi32(roots[tree] as i32),
                    );
                    next += taken;
                    pix += taken;
                    if pix == n {
                        pix = 0;
                        tree += 1;
                    }
                }
                let idle = free & !refill;
                pos[g] = _mm512_mask_mov_epi32(pos[g], idle, park);
                active[g] = (active[g] | refill) & !idle;
            }
            first = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random trees in walk-node form: pre-order, left child next, right child
    /// later; some splits at bin 255 (everything left).
    fn random_tree(rng: &mut u64, depth: u32, n_features: usize, nodes: &mut Vec<u64>) {
        let mut r = || {
            *rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*rng >> 33) as u32
        };
        let i = nodes.len();
        if depth == 0 || r() % 5 == 0 {
            nodes.push(i as u64);
            return;
        }
        nodes.push(0);
        let feature = r() as usize % n_features;
        let threshold = if r() % 17 == 0 { 255 } else { r() % 255 };
        random_tree(rng, depth - 1, n_features, nodes);
        let right = nodes.len();
        random_tree(rng, depth - 1, n_features, nodes);
        let (right, limit) = if threshold == 255 {
            (i + 1, 255)
        } else {
            (right, threshold + 1)
        };
        nodes[i] = right as u64 | (limit as u64) << 24 | (feature as u64) << 32;
    }

    fn reference(nodes: &[u64], root: u32, data: &[u8], origin: usize) -> u32 {
        let mut p = root as usize;
        loop {
            let w = nodes[p];
            let limit = w as u32 >> 24;
            if limit == 0 {
                return p as u32;
            }
            let v = data[origin + (w >> 32) as usize] as u32;
            p = if v < limit {
                p + 1
            } else {
                (w & 0xff_ffff) as usize
            };
        }
    }

    #[test]
    fn leaf_words_add_alike_with_and_without_simd() {
        let mut rng = 5u64;
        let mut r = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            rng
        };
        // Bytes up to 255 each, as leaf distributions are.
        let words: Vec<u64> = (0..1000).map(|_| r()).collect();
        for n in [0, 1, 7, 8, 9, 64, 1001] {
            let leaves: Vec<u32> = (0..n).map(|_| (r() % 1000) as u32).collect();
            let start: Vec<u64> = (0..n).map(|_| r() & 0x7f00_7f00_7f00_7f00).collect();
            let mut want = [start.clone(), start.clone()];
            add_words_from(0, &words, &leaves, &mut want);
            for (j, &l) in leaves.iter().enumerate() {
                for c in 0..8 {
                    let lane = |w: u64| w >> (16 * (c / 2)) & 0xffff;
                    let byte = words[l as usize] >> (8 * c) & 0xff;
                    assert_eq!(lane(want[c & 1][j]), lane(start[j]) + byte, "class {c}");
                }
            }
            let mut got = [start.clone(), start];
            add_leaf_words(&words, &leaves, &mut got);
            assert_eq!(got, want, "{n} leaves");
        }
    }

    #[test]
    fn both_walks_find_the_reference_leaves() {
        let f = 6;
        let mut rng = 9u64;
        for (trial, n) in [0usize, 1, 7, 15, 16, 17, 63, 64, 65, 100, 3001]
            .into_iter()
            .enumerate()
        {
            // One to four trees one after the other, as a walk group holds them.
            let mut nodes = vec![];
            let mut roots = vec![];
            for t in 0..trial % 4 + 1 {
                roots.push(nodes.len() as u32);
                random_tree(&mut rng, 3 + (trial + t) as u32 * 2 % 20, f, &mut nodes);
            }
            let data: Vec<u8> = (0..n * f + 8)
                .map(|i| ((i as u64 * 2654435761) >> 7) as u8)
                .collect();
            // Every other row, backwards: origins need not be sorted.
            let origins: Vec<usize> = (0..n).rev().map(|i| i * f).collect();
            let want: Vec<u32> = roots
                .iter()
                .flat_map(|&r| origins.iter().map(move |&o| (r, o)))
                .map(|(r, o)| reference(&nodes, r, &data, o))
                .collect();
            let jobs = want.len();
            let mut got = vec![u32::MAX; jobs];
            scalar(&nodes, &roots, &data, &origins, &mut got);
            assert_eq!(got, want, "scalar walk, {n} origins, {} trees", roots.len());
            let max_read = n.saturating_sub(1) * f + f - 1;
            let mut got = vec![u32::MAX; jobs];
            let narrow = narrow_origins(&origins, &data);
            walk(&nodes, &roots, &data, &origins, &narrow, max_read, &mut got);
            assert_eq!(
                got,
                want,
                "dispatched walk ({}), {n} origins, {} trees",
                simd_active(),
                roots.len()
            );
            // Without room for whole-word reads at the end, the scalar walk runs.
            let tight = &data[..n * f];
            let mut got = vec![u32::MAX; jobs];
            walk(&nodes, &roots, tight, &origins, &narrow, max_read, &mut got);
            assert_eq!(got, want, "walk without slack, {n} origins");
        }
    }
}
