//! Quantised feature planes laid out for the tree walk. Every plane is the square
//! padded on all sides, so a tree node reads any feature of any pixel as
//! `data[origin + offset[feature]]`: the pixel's place in a plane plus the plane's
//! start, plus a shift for features sampled away from the pixel (auto-context).
//! Shifted samples then cost nothing to gather, and no per-pixel rows are built.

use crate::forest::Forest;
use crate::par;
use ndarray::ArrayView2;

#[derive(Clone, Debug)]
pub struct PlaneStack {
    /// Side of the square.
    pub side: usize,
    /// Border on each side; shifts up to `pad` pixels stay inside the plane.
    pub pad: usize,
    pub data: Vec<u8>,
}

impl PlaneStack {
    pub fn new(side: usize, pad: usize, n_planes: usize) -> PlaneStack {
        let w = side + 2 * pad;
        PlaneStack {
            side,
            pad,
            // A few bytes past the last plane, never written, let the SIMD walk
            // gather whole words anywhere in the planes.
            data: vec![0; w * w * n_planes + crate::forest::walk::SIMD_SLACK],
        }
    }

    /// Bytes per padded row.
    pub fn width(&self) -> usize {
        self.side + 2 * self.pad
    }

    pub fn plane_len(&self) -> usize {
        self.width() * self.width()
    }

    pub fn n_planes(&self) -> usize {
        (self.data.len() - crate::forest::walk::SIMD_SLACK) / self.plane_len()
    }

    /// Offset of pixel `(x, y)` of the square inside any plane.
    pub fn origin(&self, x: usize, y: usize) -> usize {
        (y + self.pad) * self.width() + x + self.pad
    }

    /// Every square pixel's origin, row-major.
    pub fn origins(&self) -> Vec<usize> {
        (0..self.side * self.side)
            .map(|i| self.origin(i % self.side, i / self.side))
            .collect()
    }

    /// Offsets that read planes `first..first + n` unshifted.
    pub fn plane_offsets(&self, first: usize, n: usize) -> Vec<isize> {
        (first..first + n)
            .map(|p| (p * self.plane_len()) as isize)
            .collect()
    }

    /// Planes `first..`, one mutable slice each, for parallel fills.
    pub fn planes_mut(&mut self, first: usize) -> &mut [u8] {
        let len = self.plane_len();
        &mut self.data[first * len..]
    }

    /// Quantises feature planes (`n × side²`) with `forest`'s bins for features
    /// `0..n` into planes `first..first + n` (their borders are never read).
    pub fn quantise(&mut self, features: ArrayView2<f32>, forest: &Forest, first: usize) {
        let (s, w, pad, len) = (self.side, self.width(), self.pad, self.plane_len());
        let n = features.nrows();
        assert!(
            features.ncols() == s * s && n <= forest.n_features(),
            "feature planes do not match the forest"
        );
        let luts = &forest.packed().luts;
        let block = &mut self.planes_mut(first)[..n * len];
        par::for_chunks_mut(block, len, |j, plane| {
            let (edges, lut) = (&forest.bins.edges[j], &luts[j]);
            let src = features.row(j);
            let src = src.as_slice().expect("feature planes are contiguous");
            for y in 0..s {
                let dst = &mut plane[(y + pad) * w + pad..][..s];
                lut.bin_slice(edges, &src[y * s..(y + 1) * s], dst);
            }
        });
    }

    /// Copies each plane's outermost square pixels into its border, so a read
    /// shifted off the square sees the nearest edge pixel (as clamping would).
    pub fn replicate_edges(plane: &mut [u8], side: usize, pad: usize) {
        let w = side + 2 * pad;
        for y in pad..pad + side {
            let row = &mut plane[y * w..(y + 1) * w];
            let (l, r) = (row[pad], row[pad + side - 1]);
            row[..pad].fill(l);
            row[pad + side..].fill(r);
        }
        for y in 0..pad {
            plane.copy_within(pad * w..(pad + 1) * w, y * w);
            let last = (pad + side - 1) * w;
            plane.copy_within(last..last + w, (pad + side + y) * w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borders_repeat_the_nearest_edge_pixel() {
        // 3x3 square numbered 1..9, border 2.
        let (s, pad) = (3, 2);
        let mut st = PlaneStack::new(s, pad, 1);
        for y in 0..s {
            for x in 0..s {
                let o = st.origin(x, y);
                st.data[o] = (y * s + x + 1) as u8;
            }
        }
        PlaneStack::replicate_edges(&mut st.data, s, pad);
        let w = st.width();
        let at = |x: isize, y: isize| {
            st.data[(y + pad as isize) as usize * w + (x + pad as isize) as usize]
        };
        for y in -2..5isize {
            for x in -2..5isize {
                let (cx, cy) = (x.clamp(0, 2), y.clamp(0, 2));
                assert_eq!(at(x, y), (cy * 3 + cx + 1) as u8, "at ({x},{y})");
            }
        }
        assert_eq!(st.origins()[4], st.origin(1, 1));
        assert_eq!(st.plane_offsets(2, 2), vec![2 * 49, 3 * 49]);
    }
}
