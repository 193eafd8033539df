//! Local context: statistics of the neighbourhood around each pixel, over square
//! windows of several sizes. Integral images make each window O(1) per pixel, so
//! large windows cost no more than small ones. Per window: mean R, G, B and the
//! standard deviation of luma (texture: hair and eyes are busy, cheeks are smooth).

use ndarray::ArrayViewMut2;

pub const PER_WINDOW: usize = 4;

pub fn names(window: u32) -> [String; PER_WINDOW] {
    ["r", "g", "b", "sd"].map(|c| format!("ctx{window}_{c}"))
}

/// Summed-area tables of R, G, B, luma and luma², `(w+1)*(h+1)` each.
struct Integral {
    w1: usize,
    sums: [Vec<f64>; 5],
}

impl Integral {
    fn new(rgb: &[u8], gray: &[f32], w: usize, h: usize) -> Integral {
        let w1 = w + 1;
        let mut sums: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0f64; w1 * (h + 1)]);
        for y in 0..h {
            let mut row = [0f64; 5];
            for x in 0..w {
                let p = y * w + x;
                let g = gray[p] as f64;
                let v = [
                    rgb[3 * p] as f64,
                    rgb[3 * p + 1] as f64,
                    rgb[3 * p + 2] as f64,
                    g,
                    g * g,
                ];
                for c in 0..5 {
                    row[c] += v[c];
                    sums[c][(y + 1) * w1 + x + 1] = sums[c][y * w1 + x + 1] + row[c];
                }
            }
        }
        Integral { w1, sums }
    }

    fn rect(&self, c: usize, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
        let s = &self.sums[c];
        s[y1 * self.w1 + x1] - s[y0 * self.w1 + x1] - s[y1 * self.w1 + x0] + s[y0 * self.w1 + x0]
    }
}

pub fn fill(
    windows: &[u32],
    rgb: &[u8],
    gray: &[f32],
    width: u32,
    height: u32,
    mut out: ArrayViewMut2<f32>,
) {
    let (w, h) = (width as usize, height as usize);
    let ii = Integral::new(rgb, gray, w, h);
    for (k, &win) in windows.iter().enumerate() {
        let r = (win as usize / 2).max(1);
        for y in 0..h {
            let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
            for x in 0..w {
                let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                let n = ((x1 - x0) * (y1 - y0)) as f64;
                let p = y * w + x;
                for c in 0..3 {
                    out[[k * PER_WINDOW + c, p]] = (ii.rect(c, x0, y0, x1, y1) / n) as f32;
                }
                let m = ii.rect(3, x0, y0, x1, y1) / n;
                let var = (ii.rect(4, x0, y0, x1, y1) / n - m * m).max(0.0);
                out[[k * PER_WINDOW + 3, p]] = var.sqrt() as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn window_means_and_deviation_by_hand() {
        // 3x1 image: red 0, 90, 30; windows of 3 (radius 1), clipped at the borders.
        let rgb = [0, 0, 0, 90, 0, 0, 30, 0, 0];
        let gray = [0.0, 10.0, 20.0];
        let mut out = Array2::<f32>::zeros((4, 3));
        fill(&[3], &rgb, &gray, 3, 1, out.view_mut());
        assert_eq!(out[[0, 0]], 45.0); // (0 + 90) / 2
        assert_eq!(out[[0, 1]], 40.0); // (0 + 90 + 30) / 3
        assert_eq!(out[[0, 2]], 60.0);
        // luma sd over {0, 10, 20} = sqrt(200/3)
        assert!((out[[3, 1]] - (200.0f32 / 3.0).sqrt()).abs() < 1e-4);
        assert!((out[[3, 0]] - 5.0).abs() < 1e-4);
    }
}
