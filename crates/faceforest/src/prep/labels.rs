//! Label cleaning: FASSEG labels are anti-aliased colour images (about a thousand
//! distinct colours per file); the forest needs one class id per pixel, with the two
//! eyes told apart.
//!
//! Eye convention: `left_eye` is the person's left eye, i.e. the eye component on the
//! **image's right** of an unmirrored photo. [`flip_horizontal`] swaps the two labels,
//! so augmentation by flipping stays consistent.

use crate::classes::{Class, FASSEG_PALETTE};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// One class id per pixel, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelMap {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl LabelMap {
    pub fn get(&self, x: u32, y: u32) -> u8 {
        self.data[(y * self.width + x) as usize]
    }
}

/// How label colours become classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LabelCleaning {
    /// Each pixel takes the nearest of the six palette colours in RGB.
    #[default]
    Nearest,
    /// The seed's method: k-means (K = 6) on grayscale label values, each cluster
    /// mapped to the palette colour whose grayscale value is nearest its centre.
    KMeans,
}

/// Cleans a colour label image into class ids and splits the eyes.
pub fn clean_labels(rgb: &RgbImage, method: LabelCleaning) -> LabelMap {
    let mut map = snap_to_palette(rgb, &FASSEG_PALETTE, method);
    split_eyes(&mut map);
    map
}

/// Each pixel of an anti-aliased colour label becomes a class of `palette` by
/// `method` (no eye split). With [`LabelCleaning::Nearest`] a tie goes to the
/// earlier palette entry.
pub fn snap_to_palette(
    rgb: &RgbImage,
    palette: &[([u8; 3], Class)],
    method: LabelCleaning,
) -> LabelMap {
    match method {
        LabelCleaning::Nearest => nearest_palette(rgb, palette),
        LabelCleaning::KMeans => kmeans_gray(rgb, palette),
    }
}

fn nearest_palette(rgb: &RgbImage, palette: &[([u8; 3], Class)]) -> LabelMap {
    let data = rgb
        .pixels()
        .map(|p| {
            let mut best = (u32::MAX, Class::Background);
            for &(c, class) in palette {
                let d: u32 = (0..3)
                    .map(|i| (p.0[i] as i32 - c[i] as i32).pow(2) as u32)
                    .sum();
                if d < best.0 {
                    best = (d, class);
                }
            }
            best.1 as u8
        })
        .collect();
    LabelMap {
        width: rgb.width(),
        height: rgb.height(),
        data,
    }
}

fn gray(c: [u8; 3]) -> f64 {
    0.299 * c[0] as f64 + 0.587 * c[1] as f64 + 0.114 * c[2] as f64
}

fn kmeans_gray(rgb: &RgbImage, palette: &[([u8; 3], Class)]) -> LabelMap {
    // 1-D k-means over a 256-level histogram of the grayscale values: exact Lloyd
    // iterations, deterministic initialisation at evenly spaced quantiles.
    let k = palette.len();
    let values: Vec<u8> = rgb
        .pixels()
        .map(|p| gray(p.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut hist = [0u64; 256];
    values.iter().for_each(|&v| hist[v as usize] += 1);
    let total: u64 = hist.iter().sum();
    let mut centres: Vec<f64> = (0..k)
        .map(|i| {
            let target = (total as f64 * (i as f64 + 0.5) / k as f64) as u64;
            let mut cum = 0;
            for (v, &n) in hist.iter().enumerate() {
                cum += n;
                if cum > target {
                    return v as f64;
                }
            }
            255.0
        })
        .collect();
    for _ in 0..100 {
        let mut sum = vec![0f64; k];
        let mut cnt = vec![0f64; k];
        for (v, &n) in hist.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let c = nearest_centre(&centres, v as f64);
            sum[c] += v as f64 * n as f64;
            cnt[c] += n as f64;
        }
        let next: Vec<f64> = (0..k)
            .map(|c| {
                if cnt[c] > 0.0 {
                    sum[c] / cnt[c]
                } else {
                    centres[c]
                }
            })
            .collect();
        if next == centres {
            break;
        }
        centres = next;
    }
    let cluster_class: Vec<Class> = centres
        .iter()
        .map(|&m| {
            palette
                .iter()
                .min_by(|a, b| (gray(a.0) - m).abs().total_cmp(&(gray(b.0) - m).abs()))
                .unwrap()
                .1
        })
        .collect();
    let mut lut = [0u8; 256];
    for (v, slot) in lut.iter_mut().enumerate() {
        *slot = cluster_class[nearest_centre(&centres, v as f64)] as u8;
    }
    LabelMap {
        width: rgb.width(),
        height: rgb.height(),
        data: values.iter().map(|&v| lut[v as usize]).collect(),
    }
}

fn nearest_centre(centres: &[f64], v: f64) -> usize {
    let mut best = 0;
    for (i, c) in centres.iter().enumerate() {
        if (c - v).abs() < (centres[best] - v).abs() {
            best = i;
        }
    }
    best
}

/// 8-connected components of the pixels for which `member` holds; returns a
/// component id per pixel (`u32::MAX` outside) and each component's pixel count.
pub fn components(
    width: u32,
    height: u32,
    member: impl Fn(usize) -> bool,
) -> (Vec<u32>, Vec<usize>) {
    let (w, h) = (width as usize, height as usize);
    let mut comp = vec![u32::MAX; w * h];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if comp[start] != u32::MAX || !member(start) {
            continue;
        }
        let id = sizes.len() as u32;
        let mut size = 0;
        comp[start] = id;
        stack.push(start);
        while let Some(p) = stack.pop() {
            size += 1;
            let (x, y) = ((p % w) as isize, (p / w) as isize);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let q = ny as usize * w + nx as usize;
                    if comp[q] == u32::MAX && member(q) {
                        comp[q] = id;
                        stack.push(q);
                    }
                }
            }
        }
        sizes.push(size);
    }
    (comp, sizes)
}

/// Splits eye pixels (either eye label) into the person's left and right eye.
/// The dividing line is midway between the two largest eye components; with a
/// single component it is the centre of the face (skin, nose, mouth, eyes).
pub fn split_eyes(map: &mut LabelMap) {
    let is_eye = |c: u8| c == Class::LeftEye as u8 || c == Class::RightEye as u8;
    let w = map.width as usize;
    let (comp, sizes) = components(map.width, map.height, |p| is_eye(map.data[p]));
    if sizes.is_empty() {
        return;
    }
    let mut sum_x = vec![0f64; sizes.len()];
    for (p, &c) in comp.iter().enumerate() {
        if c != u32::MAX {
            sum_x[c as usize] += (p % w) as f64;
        }
    }
    let cx: Vec<f64> = sum_x
        .iter()
        .zip(&sizes)
        .map(|(s, &n)| s / n as f64)
        .collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let split = if order.len() >= 2 {
        (cx[order[0]] + cx[order[1]]) / 2.0
    } else {
        let face = [
            Class::Skin,
            Class::Nose,
            Class::Mouth,
            Class::LeftEye,
            Class::RightEye,
        ]
        .map(|c| c as u8);
        let (mut s, mut n) = (0f64, 0f64);
        for (p, &c) in map.data.iter().enumerate() {
            if face.contains(&c) {
                s += (p % w) as f64;
                n += 1.0;
            }
        }
        if n > 0.0 {
            s / n
        } else {
            w as f64 / 2.0
        }
    };
    for (p, &c) in comp.iter().enumerate() {
        if c != u32::MAX {
            map.data[p] = if cx[c as usize] >= split {
                Class::LeftEye
            } else {
                Class::RightEye
            } as u8;
        }
    }
}

/// Mirrors a label map left-right, swapping the eye labels.
pub fn flip_horizontal(map: &LabelMap) -> LabelMap {
    let (w, h) = (map.width as usize, map.height as usize);
    let mut data = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let c = Class::from_id(map.data[y * w + x]).unwrap_or(Class::Background);
            data[y * w + (w - 1 - x)] = c.mirrored() as u8;
        }
    }
    LabelMap {
        width: map.width,
        height: map.height,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A 12x6 label: skin everywhere, two 2x2 eyes, anti-aliased edge colours
    /// between them and the skin, and a stray black pixel.
    fn synthetic_label() -> RgbImage {
        let mut img = RgbImage::from_pixel(12, 6, Rgb([255, 255, 0]));
        for (x, y) in [
            (2, 2),
            (3, 2),
            (2, 3),
            (3, 3),
            (8, 2),
            (9, 2),
            (8, 3),
            (9, 3),
        ] {
            img.put_pixel(x, y, Rgb([0, 0, 255]));
        }
        // Blends of eye blue and skin yellow at the edges: nearer blue / nearer yellow.
        img.put_pixel(4, 2, Rgb([60, 60, 200]));
        img.put_pixel(7, 3, Rgb([200, 200, 60]));
        img.put_pixel(0, 0, Rgb([0, 0, 0]));
        img.put_pixel(11, 5, Rgb([250, 5, 3]));
        img
    }

    #[test]
    fn nearest_cleaning_and_eye_split() {
        let map = clean_labels(&synthetic_label(), LabelCleaning::Nearest);
        // Image-left eye is the person's right eye.
        assert_eq!(map.get(2, 2), Class::RightEye as u8);
        assert_eq!(
            map.get(4, 2),
            Class::RightEye as u8,
            "blue-ish blend joins the eye"
        );
        assert_eq!(map.get(9, 3), Class::LeftEye as u8);
        assert_eq!(map.get(7, 3), Class::Skin as u8, "yellow-ish blend is skin");
        assert_eq!(
            map.get(0, 0),
            Class::Hair as u8,
            "black is nearest the dark hair red"
        );
        assert_eq!(map.get(11, 5), Class::Background as u8);
        let n_eye = map.data.iter().filter(|&&c| c == 3 || c == 4).count();
        assert_eq!(n_eye, 9);
    }

    #[test]
    fn kmeans_cleaning_confuses_eyes_with_hair_gray() {
        // Eye blue (gray 29) and hair (gray 38) are close in grayscale: the seed's
        // method must still give a valid class everywhere.
        let map = clean_labels(&synthetic_label(), LabelCleaning::KMeans);
        assert!(map.data.iter().all(|&c| c < 7));
        assert_eq!(map.get(6, 0), Class::Skin as u8);
    }

    #[test]
    fn flip_swaps_eyes() {
        let map = clean_labels(&synthetic_label(), LabelCleaning::Nearest);
        let f = flip_horizontal(&map);
        assert_eq!(f.get(11 - 2, 2), Class::LeftEye as u8);
        assert_eq!(f.get(11 - 9, 3), Class::RightEye as u8);
        // And a flipped-then-resplit map agrees with the flip.
        let mut again = f.clone();
        split_eyes(&mut again);
        assert_eq!(again, f);
    }
}
