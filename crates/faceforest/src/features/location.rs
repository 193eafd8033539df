//! Location: normalised pixel-centre coordinates in the square, 0–1. In the seed
//! this was the strongest feature, because FASSEG faces are framed alike.

use ndarray::ArrayViewMut2;

pub fn fill(width: u32, height: u32, mut out: ArrayViewMut2<f32>) {
    let (w, h) = (width as usize, height as usize);
    for y in 0..h {
        let fy = (y as f32 + 0.5) / h as f32;
        for x in 0..w {
            out[[0, y * w + x]] = (x as f32 + 0.5) / w as f32;
            out[[1, y * w + x]] = fy;
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    #[test]
    fn pixel_centres() {
        let mut a = Array2::<f32>::zeros((2, 8));
        super::fill(4, 2, a.view_mut());
        assert_eq!(
            a.row(0).to_vec(),
            [0.125, 0.375, 0.625, 0.875, 0.125, 0.375, 0.625, 0.875]
        );
        assert_eq!(
            a.row(1).to_vec(),
            [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75]
        );
    }
}
