//! Geometric and photometric changes of a labelled photo: training-time augmentation
//! (so the forest leans less on where FASSEG's tightly framed faces sit) and the
//! robustness check (the test photos shifted and scaled).

use crate::classes::{Class, NUM_PHOTO_CLASSES};
use crate::prep::labels::LabelMap;
use image::RgbImage;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// A similarity warp about the photo's centre, then a shift, optionally mirrored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warp {
    /// Content scale (above 1 zooms in).
    pub scale: f32,
    /// Counter-clockwise, in degrees.
    pub angle: f32,
    /// Shift as a fraction of the width / height.
    pub shift_x: f32,
    pub shift_y: f32,
    /// Mirror left-right (the eye labels swap).
    pub mirror: bool,
}

impl Warp {
    pub const IDENTITY: Warp = Warp {
        scale: 1.0,
        angle: 0.0,
        shift_x: 0.0,
        shift_y: 0.0,
        mirror: false,
    };
}

/// Per-photo colour change: `v' = (v - 128) * contrast * gain[c] + 128 + brightness`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jitter {
    pub brightness: f32,
    pub contrast: f32,
    pub gain: [f32; 3],
}

/// Ranges augmentation draws from, uniformly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    /// Augmented copies per training photo (0: none).
    pub copies: usize,
    /// Largest shift, as a fraction of the size.
    pub shift: f32,
    /// Scale range.
    pub scale: (f32, f32),
    /// Largest rotation, degrees.
    pub angle: f32,
    /// Largest brightness change (0–255 scale) and relative contrast / per-channel gain change.
    pub brightness: f32,
    pub contrast: f32,
    pub gain: f32,
    /// Mirror half of the copies.
    pub mirror: bool,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            copies: 0,
            shift: 0.1,
            scale: (0.8, 1.2),
            angle: 10.0,
            brightness: 20.0,
            contrast: 0.2,
            gain: 0.08,
            mirror: true,
        }
    }
}

fn uniform(rng: &mut Xoshiro256PlusPlus, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * ((rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32)
}

impl Augment {
    /// The `copy`-th change of photo `photo` (deterministic in `seed`).
    pub fn draw(&self, seed: u64, photo: usize, copy: usize) -> (Warp, Jitter) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            seed ^ (photo as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (copy as u64 + 1) << 48,
        );
        let warp = Warp {
            scale: uniform(&mut rng, self.scale.0, self.scale.1),
            angle: uniform(&mut rng, -self.angle, self.angle),
            shift_x: uniform(&mut rng, -self.shift, self.shift),
            shift_y: uniform(&mut rng, -self.shift, self.shift),
            mirror: self.mirror && copy.is_multiple_of(2),
        };
        let jitter = Jitter {
            brightness: uniform(&mut rng, -self.brightness, self.brightness),
            contrast: 1.0 + uniform(&mut rng, -self.contrast, self.contrast),
            gain: std::array::from_fn(|_| 1.0 + uniform(&mut rng, -self.gain, self.gain)),
        };
        (warp, jitter)
    }
}

/// Warps a photo and its labels (same size out). Pixels that come from outside the
/// photo repeat its nearest edge pixel; their label is the nearest edge label, or
/// `outside` when given (e.g. [`Class::Padding`] so an evaluation skips them).
pub fn warp(
    photo: &RgbImage,
    labels: &LabelMap,
    w: &Warp,
    outside: Option<Class>,
) -> (RgbImage, LabelMap) {
    let (wd, ht) = (photo.width() as usize, photo.height() as usize);
    assert!(labels.width as usize == wd && labels.height as usize == ht);
    let (cx, cy) = (wd as f32 / 2.0, ht as f32 / 2.0);
    let (sin, cos) = w.angle.to_radians().sin_cos();
    let src = photo.as_raw();
    let mut out = RgbImage::new(wd as u32, ht as u32);
    let mut lab = vec![0u8; wd * ht];
    let (maxx, maxy) = ((wd - 1) as f32, (ht - 1) as f32);
    for y in 0..ht {
        for x in 0..wd {
            // Inverse map: undo the shift, rotation and scale.
            let mut dx = x as f32 + 0.5 - cx - w.shift_x * wd as f32;
            let dy = y as f32 + 0.5 - cy - w.shift_y * ht as f32;
            if w.mirror {
                dx = -dx;
            }
            let sx = (cos * dx + sin * dy) / w.scale + cx - 0.5;
            let sy = (-sin * dx + cos * dy) / w.scale + cy - 0.5;
            let inside = sx >= -0.5 && sy >= -0.5 && sx <= maxx + 0.5 && sy <= maxy + 0.5;
            let (fx, fy) = (sx.clamp(0.0, maxx), sy.clamp(0.0, maxy));
            let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(wd - 1), (y0 + 1).min(ht - 1));
            let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
            let px = &mut out.as_mut()[(y * wd + x) * 3..][..3];
            for (c, p) in px.iter_mut().enumerate() {
                let v = |xx: usize, yy: usize| src[(yy * wd + xx) * 3 + c] as f32;
                let top = v(x0, y0) * (1.0 - tx) + v(x1, y0) * tx;
                let bottom = v(x0, y1) * (1.0 - tx) + v(x1, y1) * tx;
                *p = (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8;
            }
            let l = labels.data[fy.round() as usize * wd + fx.round() as usize];
            lab[y * wd + x] = match outside {
                Some(o) if !inside => o as u8,
                _ if w.mirror => Class::from_id(l).map_or(l, |c| c.mirrored() as u8),
                _ => l,
            };
        }
    }
    (
        out,
        LabelMap {
            width: wd as u32,
            height: ht as u32,
            data: lab,
        },
    )
}

/// Applies a colour change in place.
pub fn jitter(photo: &mut RgbImage, j: &Jitter) {
    for px in photo.pixels_mut() {
        for c in 0..3 {
            let v = (px.0[c] as f32 - 128.0) * j.contrast * j.gain[c] + 128.0 + j.brightness;
            px.0[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Whether a label is a photo class (not padding or an off-photo mark).
pub fn is_photo_class(l: u8) -> bool {
    (l as usize) < NUM_PHOTO_CLASSES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(w: u32, h: u32) -> (RgbImage, LabelMap) {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8 * 10, y as u8 * 10, 7]));
        let data = (0..w * h)
            .map(|i| if i % w < w / 2 { 3 } else { 4 })
            .collect();
        (
            img,
            LabelMap {
                width: w,
                height: h,
                data,
            },
        )
    }

    #[test]
    fn identity_keeps_everything_and_mirror_swaps_the_eyes() {
        let (img, lab) = numbered(6, 4);
        let (a, b) = warp(&img, &lab, &Warp::IDENTITY, Some(Class::Padding));
        assert_eq!(a, img);
        assert_eq!(b, lab);
        let m = Warp {
            mirror: true,
            ..Warp::IDENTITY
        };
        let (a, b) = warp(&img, &lab, &m, None);
        assert_eq!(a.get_pixel(0, 1).0, img.get_pixel(5, 1).0);
        // Left half was label 3 (left eye); mirrored it is on the right and becomes 4... then swapped.
        assert_eq!(
            b.get(0, 0),
            Class::from_id(lab.get(5, 0)).unwrap().mirrored() as u8
        );
        assert_eq!(
            b.get(0, 0),
            3,
            "right-half right_eye (4) mirrors to the left half as left_eye (3)"
        );
        assert_eq!(b.get(5, 0), 4);
    }

    #[test]
    fn a_shift_moves_content_and_marks_what_came_from_outside() {
        let (img, lab) = numbered(10, 10);
        let w = Warp {
            shift_x: 0.2,
            ..Warp::IDENTITY
        };
        let (a, b) = warp(&img, &lab, &w, Some(Class::Padding));
        // Two columns in from the left came from outside; the rest moved right by 2.
        assert_eq!(b.get(0, 3), Class::Padding as u8);
        assert_eq!(b.get(1, 3), Class::Padding as u8);
        assert_eq!(a.get_pixel(5, 3).0, img.get_pixel(3, 3).0);
        assert_eq!(b.get(5, 3), lab.get(3, 3));
        assert_eq!(
            a.get_pixel(0, 3).0,
            img.get_pixel(0, 3).0,
            "edge pixel repeated"
        );
        // Zooming out by 2: the centre stays, a corner is off the photo.
        let z = Warp {
            scale: 0.5,
            ..Warp::IDENTITY
        };
        let (_, b) = warp(&img, &lab, &z, Some(Class::Padding));
        assert_eq!(b.get(0, 0), Class::Padding as u8);
        assert_ne!(b.get(5, 5), Class::Padding as u8);
    }

    #[test]
    fn draws_are_deterministic_and_inside_their_ranges() {
        let a = Augment {
            copies: 4,
            ..Default::default()
        };
        for copy in 0..4 {
            let (w, j) = a.draw(7, 3, copy);
            assert_eq!((w, j), a.draw(7, 3, copy));
            assert!((0.8..=1.2).contains(&w.scale) && w.angle.abs() <= 10.0);
            assert!(w.shift_x.abs() <= 0.1 && w.shift_y.abs() <= 0.1);
            assert!(j.brightness.abs() <= 20.0 && (j.contrast - 1.0).abs() <= 0.2);
            assert_eq!(w.mirror, copy % 2 == 0);
        }
        assert_ne!(a.draw(7, 3, 0), a.draw(7, 4, 0));
        let mut img = RgbImage::from_pixel(2, 2, image::Rgb([128, 100, 250]));
        jitter(
            &mut img,
            &Jitter {
                brightness: 10.0,
                contrast: 1.0,
                gain: [1.0, 1.0, 1.0],
            },
        );
        assert_eq!(img.get_pixel(0, 0).0, [138, 110, 255]);
    }
}
