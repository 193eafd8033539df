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

/// `imageops::blur`, in horizontal strips on all threads for large photos. Each
/// strip carries more rows of overlap than the kernel's radius, so the rows it keeps
/// are exactly those of a whole-photo blur.
pub fn blur(photo: &RgbImage, sigma: f32) -> RgbImage {
    let (w, h) = photo.dimensions();
    let strips = crate::par::threads().min(h as usize / 128);
    if strips < 2 || (w as usize * h as usize) < 150_000 {
        return imageops::blur(photo, sigma);
    }
    blur_in_strips(photo, sigma, strips)
}

fn blur_in_strips(photo: &RgbImage, sigma: f32, strips: usize) -> RgbImage {
    let (w, h) = photo.dimensions();
    // image's kernel is about 6.7 sigma wide (its radius about 3.3 sigma).
    let overlap = (3.4 * sigma).ceil() as u32 + 4;
    let rows = h.div_ceil(strips as u32);
    let parts = crate::par::map_range(strips, |i| {
        let (y0, y1) = (i as u32 * rows, ((i as u32 + 1) * rows).min(h));
        let (a, b) = (y0.saturating_sub(overlap), (y1 + overlap).min(h));
        let strip = imageops::crop_imm(photo, 0, a, w, b - a).to_image();
        (y0, y1, a, imageops::blur(&strip, sigma))
    });
    let mut out = RgbImage::new(w, h);
    let row = w as usize * 3;
    for (y0, y1, a, part) in parts {
        out.as_mut()[y0 as usize * row..y1 as usize * row]
            .copy_from_slice(&part.as_raw()[(y0 - a) as usize * row..(y1 - a) as usize * row]);
    }
    out
}

pub fn resize_bilinear_antialiased(photo: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (sw, sh) = photo.dimensions();
    let (fx, fy) = (sw as f32 / w as f32, sh as f32 / h as f32);
    let sigma = ((fx.max(fy) - 1.0) / 2.0).max(0.0);
    let blurred;
    let src = if sigma > 0.05 {
        blurred = blur(photo, sigma);
        &blurred
    } else {
        photo
    };
    let mut out = RgbImage::new(w, h);
    for y in 0..h {
        let sy = ((y as f32 + 0.5) * fy - 0.5).clamp(0.0, (sh - 1) as f32);
        let (y0, ty) = (sy.floor() as u32, sy.fract());
        let y1 = (y0 + 1).min(sh - 1);
        for x in 0..w {
            let sx = ((x as f32 + 0.5) * fx - 0.5).clamp(0.0, (sw - 1) as f32);
            let (x0, tx) = (sx.floor() as u32, sx.fract());
            let x1 = (x0 + 1).min(sw - 1);
            let (a, b, c, d) = (
                src.get_pixel(x0, y0).0,
                src.get_pixel(x1, y0).0,
                src.get_pixel(x0, y1).0,
                src.get_pixel(x1, y1).0,
            );
            let mut px = [0u8; 3];
            for i in 0..3 {
                let top = a[i] as f32 * (1.0 - tx) + b[i] as f32 * tx;
                let bottom = c[i] as f32 * (1.0 - tx) + d[i] as f32 * tx;
                px[i] = (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8;
            }
            out.put_pixel(x, y, image::Rgb(px));
        }
    }
    out
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

    #[test]
    fn blurring_in_strips_equals_blurring_whole() {
        let img = RgbImage::from_fn(431, 977, |x, y| {
            let v = (x * 7919 + y * 104_729) ^ (x * y);
            image::Rgb([v as u8, (v >> 8) as u8, (x + y) as u8])
        });
        for sigma in [0.6f32, 1.84, 4.3, 11.0] {
            let whole = imageops::blur(&img, sigma);
            for strips in [2, 3, 7] {
                assert!(
                    blur_in_strips(&img, sigma, strips) == whole,
                    "sigma {sigma}, {strips} strips"
                );
            }
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
