//! Square resize: keep the aspect ratio, scale the larger side to `S`, pad the rest
//! with zeros, centred. Padding pixels get their own class so the forest never has
//! to guess what a black border is, and the geometry is kept so that predictions
//! can be mapped back onto the photo's own pixels ("honest" evaluation).

use crate::classes::{Class, NUM_CLASSES, NUM_PHOTO_CLASSES};
use crate::prep::labels::LabelMap;
use image::{imageops, RgbImage};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SquareGeometry {
    pub size: u32,
    pub src_width: u32,
    pub src_height: u32,
    pub scaled_width: u32,
    pub scaled_height: u32,
    pub offset_x: u32,
    pub offset_y: u32,
}

impl SquareGeometry {
    pub fn new(src_width: u32, src_height: u32, size: u32) -> SquareGeometry {
        let longest = src_width.max(src_height).max(1) as f64;
        let scale = size as f64 / longest;
        let sw = ((src_width as f64 * scale).round() as u32).clamp(1, size);
        let sh = ((src_height as f64 * scale).round() as u32).clamp(1, size);
        SquareGeometry {
            size,
            src_width,
            src_height,
            scaled_width: sw,
            scaled_height: sh,
            offset_x: (size - sw) / 2,
            offset_y: (size - sh) / 2,
        }
    }

    /// Whether square pixel (x, y) lies on the photo rather than the padding.
    pub fn is_content(&self, x: u32, y: u32) -> bool {
        x >= self.offset_x
            && x < self.offset_x + self.scaled_width
            && y >= self.offset_y
            && y < self.offset_y + self.scaled_height
    }
}

/// Resizes and pads a photo, as the seed's `skimage.transform.resize` does: a
/// Gaussian anti-aliasing blur of sigma `(scale - 1) / 2` when shrinking, then
/// bilinear interpolation at pixel centres.
pub fn square_photo(photo: &RgbImage, size: u32) -> (RgbImage, SquareGeometry) {
    let g = SquareGeometry::new(photo.width(), photo.height(), size);
    let scaled = if (g.scaled_width, g.scaled_height) == photo.dimensions() {
        photo.clone()
    } else {
        resize_bilinear_antialiased(photo, g.scaled_width, g.scaled_height)
    };
    let mut out = RgbImage::new(size, size);
    imageops::replace(&mut out, &scaled, g.offset_x as i64, g.offset_y as i64);
    (out, g)
}

/// The weights that take one axis of a photo to its new length: for each output
/// coordinate, a run of source indices and their weights. Each output samples the
/// Gaussian-blurred line (sigma `(scale - 1) / 2` when shrinking, truncated at 4
/// sigma as scipy does, edges replicated) by linear interpolation at its pixel
/// centre. Both are linear, so their product is one small kernel per output and the
/// blurred photo never has to exist: shrinking 600 px to 128 touches each source
/// line once instead of blurring all 600 × 600 pixels first.
struct AxisTaps {
    /// First source index per output.
    start: Vec<usize>,
    /// Weights per output, `width` each (zero-padded).
    weights: Vec<f32>,
    width: usize,
}

impl AxisTaps {
    fn new(out_len: u32, src_len: u32) -> AxisTaps {
        let n = src_len as usize;
        let f = src_len as f32 / out_len as f32;
        let sigma = ((f - 1.0) / 2.0).max(0.0);
        let gauss: Vec<f32> = if sigma > 0.05 {
            let r = (4.0 * sigma + 0.5) as isize;
            let g: Vec<f32> = (-r..=r)
                .map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp())
                .collect();
            let total: f32 = g.iter().sum();
            g.into_iter().map(|v| v / total).collect()
        } else {
            vec![1.0]
        };
        let r = (gauss.len() / 2) as isize;
        let width = (gauss.len() + 1).min(n);
        let mut start = Vec::with_capacity(out_len as usize);
        let mut weights = vec![0f32; out_len as usize * width];
        for o in 0..out_len as usize {
            let sx = ((o as f32 + 0.5) * f - 0.5).clamp(0.0, (n - 1) as f32);
            let x0 = sx.floor() as usize;
            let t = sx - x0 as f32;
            let x1 = (x0 + 1).min(n - 1);
            let lo = (x0 as isize - r).clamp(0, (n - width) as isize) as usize;
            let w = &mut weights[o * width..(o + 1) * width];
            for (xi, wi) in [(x0, 1.0 - t), (x1, t)] {
                for (k, &g) in gauss.iter().enumerate() {
                    let j = (xi as isize + k as isize - r).clamp(0, n as isize - 1) as usize;
                    // Clamped indices fall inside [lo, lo + width) by construction
                    // of lo, except when the kernel is wider than the line: then
                    // width is n and lo 0.
                    w[j - lo] += wi * g;
                }
            }
            start.push(lo);
        }
        AxisTaps {
            start,
            weights,
            width,
        }
    }

    fn of(&self, o: usize) -> (usize, &[f32]) {
        (
            self.start[o],
            &self.weights[o * self.width..(o + 1) * self.width],
        )
    }
}

/// Resizes as the seed's `skimage.transform.resize` does: a Gaussian anti-aliasing
/// blur of sigma `(scale - 1) / 2` when shrinking, then bilinear interpolation at
/// pixel centres, both per axis and fused (see [`AxisTaps`]).
pub fn resize_bilinear_antialiased(photo: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (sw, sh) = photo.dimensions();
    let xt = AxisTaps::new(w, sw);
    let yt = AxisTaps::new(h, sh);
    let (sw, w3) = (sw as usize, w as usize * 3);
    // Rows first: every source row the vertical taps read, resampled to width w.
    let (first, last) = (yt.start[0], yt.start[h as usize - 1] + yt.width);
    let mut rows = vec![0f32; (last - first) * w3];
    // Bands of rows on all threads once there is enough work to share (a 256-px
    // webcam frame is: serial, its resize was a twentieth of the frame's time).
    let big = sw * (last - first) >= 32_768;
    let rows_per_chunk = if big { 16 } else { last - first };
    crate::par::for_chunks_mut(&mut rows, rows_per_chunk * w3, |ci, chunk| {
        let mut line = vec![0f32; sw * 3];
        for (ri, out) in chunk.chunks_exact_mut(w3).enumerate() {
            let y = first + ci * rows_per_chunk + ri;
            let src = &photo.as_raw()[y * sw * 3..(y + 1) * sw * 3];
            for (l, &v) in line.iter_mut().zip(src) {
                *l = v as f32;
            }
            for (x, px) in out.chunks_exact_mut(3).enumerate() {
                let (lo, wts) = xt.of(x);
                let mut acc = [0f32; 3];
                for (k, &wt) in wts.iter().enumerate() {
                    let p = &line[(lo + k) * 3..(lo + k) * 3 + 3];
                    acc[0] += wt * p[0];
                    acc[1] += wt * p[1];
                    acc[2] += wt * p[2];
                }
                px.copy_from_slice(&acc);
            }
        }
    });
    // Then columns: each output row is a weighted sum of whole resampled rows.
    let mut out = vec![0u8; h as usize * w3];
    let out_rows_per_chunk = if big { 8 } else { h as usize };
    crate::par::for_chunks_mut(&mut out, out_rows_per_chunk * w3, |ci, chunk| {
        let mut acc = vec![0f32; w3];
        for (ri, out) in chunk.chunks_exact_mut(w3).enumerate() {
            let (lo, wts) = yt.of(ci * out_rows_per_chunk + ri);
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, &wt) in wts.iter().enumerate() {
                let row = &rows[(lo + k - first) * w3..(lo + k - first + 1) * w3];
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += wt * v;
                }
            }
            for (o, &a) in out.iter_mut().zip(&acc) {
                *o = a.round().clamp(0.0, 255.0) as u8;
            }
        }
    });
    RgbImage::from_raw(w, h, out).expect("w*h*3 bytes")
}

/// Nearest-neighbour resize of a label map into the square; the border is `Padding`.
pub fn square_labels(labels: &LabelMap, g: &SquareGeometry) -> LabelMap {
    let s = g.size as usize;
    let mut data = vec![Class::Padding as u8; s * s];
    for y in 0..g.scaled_height {
        let sy = (((y as f64 + 0.5) * labels.height as f64 / g.scaled_height as f64) as u32)
            .min(labels.height - 1);
        for x in 0..g.scaled_width {
            let sx = (((x as f64 + 0.5) * labels.width as f64 / g.scaled_width as f64) as u32)
                .min(labels.width - 1);
            data[(y + g.offset_y) as usize * s + (x + g.offset_x) as usize] = labels.get(sx, sy);
        }
    }
    LabelMap {
        width: g.size,
        height: g.size,
        data,
    }
}

/// Maps square-space class probabilities (`size²` rows of [`NUM_CLASSES`]) back onto
/// the photo's own pixels: bilinear interpolation of each class, then argmax over the
/// photo classes (padding can never win on a photo pixel). Returns labels and, if
/// asked, the interpolated photo-class probabilities (`w*h` rows of 7).
/// Index of the first largest value.
fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for c in 1..v.len() {
        if v[c] > v[best] {
            best = c;
        }
    }
    best
}

pub fn unsquare_probs(
    probs: &[f32],
    g: &SquareGeometry,
    keep_probs: bool,
) -> (Vec<u8>, Option<Vec<f32>>) {
    let (w, h) = (g.src_width as usize, g.src_height as usize);
    let s = g.size as usize;
    let fx = g.scaled_width as f32 / w as f32;
    let fy = g.scaled_height as f32 / h as f32;
    // Sample only inside the content area so padding never bleeds into edge pixels.
    let (x_lo, x_hi) = (g.offset_x as f32, (g.offset_x + g.scaled_width - 1) as f32);
    let (y_lo, y_hi) = (g.offset_y as f32, (g.offset_y + g.scaled_height - 1) as f32);
    let xs: Vec<(usize, usize, f32)> = (0..w)
        .map(|x| {
            let sx = (g.offset_x as f32 + (x as f32 + 0.5) * fx - 0.5).clamp(x_lo, x_hi);
            let x0 = sx.floor() as usize;
            (x0, (x0 + 1).min(x_hi as usize), sx - x0 as f32)
        })
        .collect();
    // Bilinear photo-class probabilities at photo pixel (x, y).
    let sample = |y: usize, x: usize| -> [f32; NUM_PHOTO_CLASSES] {
        let sy = (g.offset_y as f32 + (y as f32 + 0.5) * fy - 0.5).clamp(y_lo, y_hi);
        let y0 = sy.floor() as usize;
        let y1 = (y0 + 1).min(y_hi as usize);
        let ty = sy - y0 as f32;
        let (x0, x1, tx) = xs[x];
        let corners = [
            (y0 * s + x0, (1.0 - tx) * (1.0 - ty)),
            (y0 * s + x1, tx * (1.0 - ty)),
            (y1 * s + x0, (1.0 - tx) * ty),
            (y1 * s + x1, tx * ty),
        ];
        let mut acc = [0f32; NUM_PHOTO_CLASSES];
        for (p, wgt) in corners {
            let row = &probs[p * NUM_CLASSES..p * NUM_CLASSES + NUM_PHOTO_CLASSES];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += wgt * v;
            }
        }
        acc
    };
    // Where all four square pixels around a photo pixel agree, the blend agrees
    // with them too (a convex mix keeps each one's top class on top): most pixels
    // skip the blend.
    let square_best: Vec<u8> = probs
        .chunks_exact(NUM_CLASSES)
        .map(|p| argmax(&p[..NUM_PHOTO_CLASSES]) as u8)
        .collect();
    let mut labels = vec![0u8; w * h];
    crate::par::for_chunks_mut(&mut labels, w, |y, row| {
        let sy = (g.offset_y as f32 + (y as f32 + 0.5) * fy - 0.5).clamp(y_lo, y_hi);
        let y0 = sy.floor() as usize;
        let y1 = (y0 + 1).min(y_hi as usize);
        for (x, l) in row.iter_mut().enumerate() {
            let (x0, x1, _) = xs[x];
            let c = square_best[y0 * s + x0];
            *l = if c == square_best[y0 * s + x1]
                && c == square_best[y1 * s + x0]
                && c == square_best[y1 * s + x1]
            {
                c
            } else {
                argmax(&sample(y, x)) as u8
            };
        }
    });
    let out_probs = keep_probs.then(|| {
        let mut out = vec![0f32; w * h * NUM_PHOTO_CLASSES];
        crate::par::for_chunks_mut(&mut out, w * NUM_PHOTO_CLASSES, |y, row| {
            for (x, px) in row.chunks_exact_mut(NUM_PHOTO_CLASSES).enumerate() {
                let acc = sample(y, x);
                let total: f32 = acc.iter().sum::<f32>().max(1e-12);
                for (o, a) in px.iter_mut().zip(acc) {
                    *o = a / total;
                }
            }
        });
        out
    });
    (labels, out_probs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused resize against the two steps done one after the other in f64: a
    /// Gaussian blur with replicated edges, then bilinear sampling.
    fn two_step(photo: &RgbImage, w: u32, h: u32) -> Vec<f64> {
        let (sw, sh) = (photo.width() as usize, photo.height() as usize);
        let kernel = |f: f64| -> Vec<f64> {
            let sigma = ((f - 1.0) / 2.0).max(0.0);
            if sigma <= 0.05 {
                return vec![1.0];
            }
            let r = (4.0 * sigma + 0.5) as i64;
            let g: Vec<f64> = (-r..=r)
                .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp())
                .collect();
            let t: f64 = g.iter().sum();
            g.into_iter().map(|v| v / t).collect()
        };
        let (fx, fy) = (sw as f64 / w as f64, sh as f64 / h as f64);
        let (gx, gy) = (kernel(fx), kernel(fy));
        let px = |x: i64, y: i64, c: usize| -> f64 {
            let x = x.clamp(0, sw as i64 - 1) as u32;
            let y = y.clamp(0, sh as i64 - 1) as u32;
            photo.get_pixel(x, y).0[c] as f64
        };
        let blurred = |x: usize, y: usize, c: usize| -> f64 {
            let (rx, ry) = ((gx.len() / 2) as i64, (gy.len() / 2) as i64);
            let mut acc = 0.0;
            for (i, wy) in gy.iter().enumerate() {
                for (j, wx) in gx.iter().enumerate() {
                    acc += wy * wx * px(x as i64 + j as i64 - rx, y as i64 + i as i64 - ry, c);
                }
            }
            acc
        };
        let mut out = Vec::new();
        for y in 0..h as usize {
            let sy = ((y as f64 + 0.5) * fy - 0.5).clamp(0.0, (sh - 1) as f64);
            let (y0, ty) = (sy.floor() as usize, sy.fract());
            let y1 = (y0 + 1).min(sh - 1);
            for x in 0..w as usize {
                let sx = ((x as f64 + 0.5) * fx - 0.5).clamp(0.0, (sw - 1) as f64);
                let (x0, tx) = (sx.floor() as usize, sx.fract());
                let x1 = (x0 + 1).min(sw - 1);
                for c in 0..3 {
                    let top = blurred(x0, y0, c) * (1.0 - tx) + blurred(x1, y0, c) * tx;
                    let bottom = blurred(x0, y1, c) * (1.0 - tx) + blurred(x1, y1, c) * tx;
                    out.push(top * (1.0 - ty) + bottom * ty);
                }
            }
        }
        out
    }

    #[test]
    fn fused_resize_equals_blur_then_bilinear() {
        let img = RgbImage::from_fn(97, 61, |x, y| {
            let v = (x * 7919 + y * 104_729) ^ (x * y);
            image::Rgb([v as u8, (v >> 8) as u8, (x * 3 + y) as u8])
        });
        // Shrinking by 4.9 × 3.1, by a little, not at all, growing, and to one pixel.
        for (w, h) in [(20, 20), (90, 55), (97, 61), (150, 70), (1, 1), (5, 61)] {
            let fused = resize_bilinear_antialiased(&img, w, h);
            let want = two_step(&img, w, h);
            for (i, (&got, &want)) in fused.as_raw().iter().zip(&want).enumerate() {
                assert!(
                    (got as f64 - want).abs() <= 0.5 + 1e-3,
                    "{w}×{h}, value {i}: {got} vs {want:.3}"
                );
            }
        }
    }

    #[test]
    fn a_flat_photo_stays_flat_at_any_size() {
        let img = RgbImage::from_pixel(640, 480, image::Rgb([200, 17, 90]));
        for (w, h) in [(128, 96), (37, 13), (640, 480), (700, 500)] {
            let out = resize_bilinear_antialiased(&img, w, h);
            assert!(out.pixels().all(|p| p.0 == [200, 17, 90]), "{w}×{h}");
        }
    }

    #[test]
    fn geometry_centres_and_scales_the_longer_side() {
        let g = SquareGeometry::new(363, 512, 200);
        assert_eq!((g.scaled_width, g.scaled_height), (142, 200));
        assert_eq!((g.offset_x, g.offset_y), (29, 0));
        assert!(
            g.is_content(29, 0)
                && !g.is_content(28, 0)
                && g.is_content(170, 199)
                && !g.is_content(171, 5)
        );
    }

    #[test]
    fn padding_is_black_and_labelled() {
        let photo = RgbImage::from_pixel(10, 20, image::Rgb([200, 100, 50]));
        let (sq, g) = square_photo(&photo, 40);
        assert_eq!(sq.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(sq.get_pixel(20, 20).0, [200, 100, 50]);
        let labels = LabelMap {
            width: 10,
            height: 20,
            data: vec![Class::Skin as u8; 200],
        };
        let sl = square_labels(&labels, &g);
        assert_eq!(sl.get(0, 0), Class::Padding as u8);
        assert_eq!(sl.get(20, 20), Class::Skin as u8);
    }

    #[test]
    fn unsquare_recovers_a_left_right_split() {
        // Photo 20x10: left half hair, right half skin; square probs made from it.
        let g = SquareGeometry::new(20, 10, 40);
        let s = 40;
        let mut probs = vec![0f32; s * s * NUM_CLASSES];
        for y in 0..s as u32 {
            for x in 0..s as u32 {
                let c = if !g.is_content(x, y) {
                    Class::Padding
                } else if x < 20 {
                    Class::Hair
                } else {
                    Class::Skin
                };
                probs[(y as usize * s + x as usize) * NUM_CLASSES + c as usize] = 1.0;
            }
        }
        let (labels, p) = unsquare_probs(&probs, &g, true);
        for y in 0..10 {
            for x in 0..20 {
                let want = if x < 10 { Class::Hair } else { Class::Skin } as u8;
                assert_eq!(labels[y * 20 + x], want, "pixel {x},{y}");
            }
        }
        let p = p.unwrap();
        let sum: f32 = p[..NUM_PHOTO_CLASSES].iter().sum();
        assert!((sum - 1.0).abs() < 1e-5);
    }
}
