//! Histogram of oriented gradients, as scikit-image's `hog` with one cell per block:
//! central-difference gradients on the luma, unsigned orientations hard-binned into
//! `orientations` bins over 0–180°, magnitude-weighted sums averaged over the cell,
//! then L2-Hys normalisation. Every pixel takes the histogram of its cell; when the
//! size is not a multiple of the cell, the last row/column of cells absorbs the rest.

use ndarray::ArrayViewMut2;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HogConfig {
    /// Cell side in pixels of the square image.
    pub cell: u32,
    pub orientations: u32,
    /// Gradients of the R, G, B channel with the largest magnitude at each pixel (as
    /// scikit-image's `hog(..., channel_axis=-1)` on a colour image) instead of luma.
    pub colour: bool,
}

impl Default for HogConfig {
    fn default() -> Self {
        HogConfig {
            cell: 10,
            orientations: 9,
            colour: false,
        }
    }
}

/// Per-cell normalised histograms: `(cells_x, cells_y, hist)` with `hist` row-major
/// by cell, `orientations` values per cell.
pub fn cell_histograms(
    cfg: &HogConfig,
    channels: &[&[f32]],
    width: u32,
    height: u32,
) -> (usize, usize, Vec<f32>) {
    let (w, h) = (width as usize, height as usize);
    let cell = cfg.cell as usize;
    let nb = cfg.orientations as usize;
    let ncx = (w / cell).max(1);
    let ncy = (h / cell).max(1);
    let bin_width = 180.0 / nb as f32;
    // One band of cells at a time, bands in parallel (each cell still sums its
    // pixels in the same order, so the result does not depend on the threads).
    let bands = crate::par::map_range(ncy, |cy| {
        let mut hist = vec![0f32; ncx * nb];
        let mut area = vec![0f32; ncx];
        let last = if cy + 1 == ncy { h } else { (cy + 1) * cell };
        for y in cy * cell..last {
            for x in 0..w {
                let cx = (x / cell).min(ncx - 1);
                let (mut gx, mut gy, mut mag2) = (0f32, 0f32, -1f32);
                for ch in channels {
                    let cx_ = if x == 0 || x + 1 == w {
                        0.0
                    } else {
                        ch[y * w + x + 1] - ch[y * w + x - 1]
                    };
                    let cy_ = if y == 0 || y + 1 == h {
                        0.0
                    } else {
                        ch[(y + 1) * w + x] - ch[(y - 1) * w + x]
                    };
                    let m2 = cx_ * cx_ + cy_ * cy_;
                    if m2 > mag2 {
                        (gx, gy, mag2) = (cx_, cy_, m2);
                    }
                }
                let mag = mag2.sqrt();
                let mut ori = gy.atan2(gx).to_degrees();
                if ori < 0.0 {
                    ori += 180.0;
                }
                if ori >= 180.0 {
                    ori -= 180.0;
                }
                let bin = ((ori / bin_width) as usize).min(nb - 1);
                hist[cx * nb + bin] += mag;
                area[cx] += 1.0;
            }
        }
        (hist, area)
    });
    let hist: Vec<f32> = bands.iter().flat_map(|b| b.0.iter().copied()).collect();
    let area: Vec<f32> = bands.iter().flat_map(|b| b.1.iter().copied()).collect();
    let mut hist = hist;
    for c in 0..ncx * ncy {
        let v = &mut hist[c * nb..(c + 1) * nb];
        let a = area[c].max(1.0);
        v.iter_mut().for_each(|x| *x /= a);
        l2_hys(v);
    }
    (ncx, ncy, hist)
}

fn l2_hys(v: &mut [f32]) {
    const EPS: f32 = 1e-5;
    let norm = |v: &[f32]| (v.iter().map(|x| x * x).sum::<f32>() + EPS * EPS).sqrt();
    let n = norm(v);
    v.iter_mut().for_each(|x| *x = (*x / n).min(0.2));
    let n = norm(v);
    v.iter_mut().for_each(|x| *x /= n);
}

pub fn fill(
    cfg: &HogConfig,
    channels: &[&[f32]],
    width: u32,
    height: u32,
    mut out: ArrayViewMut2<f32>,
) {
    let (ncx, ncy, hist) = cell_histograms(cfg, channels, width, height);
    let (w, h) = (width as usize, height as usize);
    let cell = cfg.cell as usize;
    let nb = cfg.orientations as usize;
    for y in 0..h {
        let cy = (y / cell).min(ncy - 1);
        for x in 0..w {
            let cx = (x / cell).min(ncx - 1);
            let src = &hist[(cy * ncx + cx) * nb..(cy * ncx + cx + 1) * nb];
            for (o, v) in src.iter().enumerate() {
                out[[o, y * w + x]] = *v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn vertical_edge_fills_the_zero_degree_bin() {
        // 4x4, columns 0,0,90,90: gradient along x only (orientation 0°).
        let gray: Vec<f32> = (0..16)
            .map(|i| if i % 4 < 2 { 0.0 } else { 90.0 })
            .collect();
        let cfg = HogConfig {
            cell: 4,
            orientations: 9,
            colour: false,
        };
        let (ncx, ncy, hist) = cell_histograms(&cfg, &[&gray], 4, 4);
        assert_eq!((ncx, ncy), (1, 1));
        // Only interior pixels (1,1),(2,1),(1,2),(2,2) have gradients, each gx = 90.
        // Before normalisation bin 0 holds 4*90/16; after L2-Hys a single bin becomes 1.
        assert!((hist[0] - 1.0).abs() < 1e-4);
        assert!(hist[1..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn two_orientations_share_after_l2_hys() {
        // Gradient at 45° and 135° in one cell of 3x3: pixel (1,1) only.
        // gray: gx = g(2,1)-g(0,1), gy = g(1,2)-g(1,0).
        let mut gray = vec![0f32; 9];
        gray[5] = 10.0; // (2,1)
        gray[7] = 10.0; // (1,2): gx = 10, gy = 10 -> 45°, bin 2 of 9 (40–60°)
        let cfg = HogConfig {
            cell: 3,
            orientations: 9,
            colour: false,
        };
        let (_, _, hist) = cell_histograms(&cfg, &[&gray], 3, 3);
        // One non-zero bin, so L2-Hys gives 1 there.
        assert!((hist[2] - 1.0).abs() < 1e-4, "{hist:?}");
        let mut planes = Array2::<f32>::zeros((9, 9));
        fill(&cfg, &[&gray], 3, 3, planes.view_mut());
        assert!(planes.row(2).iter().all(|&v| (v - 1.0).abs() < 1e-4));
    }

    #[test]
    fn colour_gradient_takes_the_strongest_channel() {
        // Red rises along x (weakly), blue along y (strongly): the blue gradient wins.
        let red: Vec<f32> = (0..9).map(|i| (i % 3) as f32).collect();
        let blue: Vec<f32> = (0..9).map(|i| 10.0 * (i / 3) as f32).collect();
        let cfg = HogConfig {
            cell: 3,
            orientations: 9,
            colour: true,
        };
        let (_, _, hist) = cell_histograms(&cfg, &[&red, &blue], 3, 3);
        // Pixels (0,1),(1,1),(2,1) take blue's 20 at 90° (bin 4); (1,0),(1,2) sit on the
        // top/bottom border (no y gradient) and take red's 2 at 0°. Bins 4 and 0 hold
        // 60 and 4 before L2-Hys: 4/60.13 = 0.0665 and 0.998 -> clip 0.2 -> renormalise.
        let (a, b) = (4.0f32 / 60.133, 0.2f32);
        let n = (a * a + b * b).sqrt();
        assert!(
            (hist[0] - a / n).abs() < 1e-3 && (hist[4] - b / n).abs() < 1e-3,
            "{hist:?}"
        );
    }

    #[test]
    fn l2_hys_clips_at_point_two() {
        let mut v = [1.0, 1.0, 0.0, 0.0];
        l2_hys(&mut v);
        // 1/sqrt2 = 0.707 clipped to 0.2 twice, renormalised back to 1/sqrt2.
        assert!((v[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-4);
        let mut u = [1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        l2_hys(&mut u);
        assert!(u[0] < 0.75 && u[1] > 0.1, "{u:?}");
    }
}
