//! Face detection with rustface (SeetaFace frontal detector), on a downscaled
//! grayscale copy of the input; boxes are mapped back to the input's pixels.

use crate::error::FrameError;
use image::RgbImage;
use std::cell::RefCell;

/// A detected face, in the pixels of the image given to `detect` (the box may
/// overhang the image slightly). rustface boxes are square.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Detector score (higher is more face-like; the default threshold is 2.0).
    pub score: f32,
}

impl FaceBox {
    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Side of the equivalent square box.
    pub fn side(&self) -> f32 {
        (self.w + self.h) / 2.0
    }

    pub fn area(&self) -> f32 {
        self.w * self.h
    }
}

/// Detection settings. Speed comes from downscaling (`max_side`), the sliding step
/// and the pyramid scale factor; rustface 0.1.7 ignores a minimum face size (the
/// smallest face found is about 40 px in the detector's input, i.e. after
/// downscaling to `max_side`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectOptions {
    /// Inputs whose longest side exceeds this are box-averaged down to it first.
    pub max_side: u32,
    /// Sliding window step in the detector's input, pixels (4 = accurate, 8 = fast).
    pub step: u32,
    /// Factor between adjacent pyramid levels, in (0.1, 0.99) (0.8 = accurate, 0.7 = fast).
    pub pyramid_scale: f32,
    /// Minimum score; > 0.
    pub score_threshold: f64,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            max_side: 640,
            step: 4,
            pyramid_scale: 0.8,
            score_threshold: 2.0,
        }
    }
}

impl DetectOptions {
    /// Settings for live video: step 8, pyramid factor 0.7 (about 3x faster).
    pub fn fast() -> Self {
        DetectOptions {
            max_side: 480,
            step: 8,
            pyramid_scale: 0.7,
            score_threshold: 2.0,
        }
    }
}

/// Wraps a rustface detector. Not `Sync`: rustface's `detect` takes `&mut self`,
/// so the detector sits in a `RefCell` (one per thread / per web worker).
pub struct FaceDetector {
    inner: RefCell<Box<dyn rustface::Detector>>,
}

impl FaceDetector {
    /// Reads `seeta_fd_frontal_v1.0.bin` (shipped in the rustface crate package,
    /// served by the site as its own file) from bytes.
    pub fn from_model_bytes(bytes: &[u8]) -> Result<FaceDetector, FrameError> {
        if bytes.is_empty() {
            return Err(FrameError::Model("the model buffer is empty".into()));
        }
        let model = rustface::read_model(std::io::Cursor::new(bytes))
            .map_err(|e| FrameError::Model(e.to_string()))?;
        Ok(FaceDetector {
            inner: RefCell::new(rustface::create_detector_with_model(model)),
        })
    }

    /// Faces in an 8-bit grayscale image (row-major, `width*height` bytes), largest first.
    pub fn detect_gray(
        &self,
        gray: &[u8],
        width: u32,
        height: u32,
        opts: &DetectOptions,
    ) -> Result<Vec<FaceBox>, FrameError> {
        check_dims(width, height, 1, gray.len())?;
        let longest = width.max(height);
        let (work, ww, wh, scale) = if longest > opts.max_side.max(1) {
            let f = opts.max_side.max(1) as f64 / longest as f64;
            let ww = ((width as f64 * f).round() as u32).max(1);
            let wh = ((height as f64 * f).round() as u32).max(1);
            let small = box_downscale(gray, width, height, ww, wh);
            // Per-axis scale back to the input; averaged (the two differ by rounding only).
            let back = (width as f64 / ww as f64 + height as f64 / wh as f64) / 2.0;
            (std::borrow::Cow::Owned(small), ww, wh, back)
        } else {
            (std::borrow::Cow::Borrowed(gray), width, height, 1.0)
        };
        // rustface's window is 40 px: smaller inputs cannot contain a face (and
        // would make its pyramid empty).
        if ww < 40 || wh < 40 {
            return Ok(Vec::new());
        }
        let mut det = self.inner.borrow_mut();
        det.set_score_thresh(opts.score_threshold.max(1e-6));
        det.set_pyramid_scale_factor(opts.pyramid_scale.clamp(0.1, 0.99));
        det.set_slide_window_step(opts.step.max(1), opts.step.max(1));
        let faces = det.detect(&rustface::ImageData::new(&work, ww, wh));
        let mut out: Vec<FaceBox> = faces
            .iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox {
                    x: (b.x() as f64 * scale) as f32,
                    y: (b.y() as f64 * scale) as f32,
                    w: (b.width() as f64 * scale) as f32,
                    h: (b.height() as f64 * scale) as f32,
                    score: f.score() as f32,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.area()
                .total_cmp(&a.area())
                .then(b.score.total_cmp(&a.score))
        });
        Ok(out)
    }

    /// Faces in an RGB image, largest first.
    pub fn detect(&self, img: &RgbImage, opts: &DetectOptions) -> Vec<FaceBox> {
        let gray = rgb_to_gray(img.as_raw(), 3);
        self.detect_gray(&gray, img.width(), img.height(), opts)
            .unwrap_or_default()
    }

    /// Faces in straight RGBA bytes (a browser `ImageData`), largest first.
    pub fn detect_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        opts: &DetectOptions,
    ) -> Result<Vec<FaceBox>, FrameError> {
        check_dims(width, height, 4, rgba.len())?;
        let gray = rgb_to_gray(rgba, 4);
        self.detect_gray(&gray, width, height, opts)
    }
}

fn check_dims(width: u32, height: u32, channels: u64, len: usize) -> Result<(), FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::InvalidImage(format!(
            "the image is {width}×{height}"
        )));
    }
    if width as u64 * height as u64 > faceforest::segment::MAX_PIXELS {
        return Err(FrameError::InvalidImage(format!(
            "the image is {width}×{height}: too large"
        )));
    }
    let expected = channels * width as u64 * height as u64;
    if len as u64 != expected {
        return Err(FrameError::InvalidImage(format!(
            "the buffer holds {len} bytes but {width}×{height} with {channels} channel(s) needs {expected}"
        )));
    }
    Ok(())
}

/// BT.601 luma of interleaved pixels with `channels` bytes each (RGB first).
pub fn rgb_to_gray(pixels: &[u8], channels: usize) -> Vec<u8> {
    pixels
        .chunks_exact(channels)
        .map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114 + 500) / 1000) as u8)
        .collect()
}

/// Area-average downscale of a gray image (each output pixel averages the input
/// pixels its footprint covers; exact box filter for integer factors).
fn box_downscale(src: &[u8], w: u32, h: u32, ow: u32, oh: u32) -> Vec<u8> {
    let (w, h, ow, oh) = (w as usize, h as usize, ow as usize, oh as usize);
    let xs: Vec<(usize, usize)> = (0..ow).map(|x| span(x, ow, w)).collect();
    let mut out = vec![0u8; ow * oh];
    let mut row_acc = vec![0u32; ow];
    for oy in 0..oh {
        let (y0, y1) = span(oy, oh, h);
        row_acc.iter_mut().for_each(|a| *a = 0);
        for y in y0..y1 {
            let row = &src[y * w..(y + 1) * w];
            for (acc, &(x0, x1)) in row_acc.iter_mut().zip(&xs) {
                *acc += row[x0..x1].iter().map(|&v| v as u32).sum::<u32>();
            }
        }
        for (ox, &(x0, x1)) in xs.iter().enumerate() {
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            out[oy * ow + ox] = ((row_acc[ox] + n / 2) / n) as u8;
        }
    }
    out
}

/// Input pixel range `[a, b)` covered by output pixel `i` of `n_out` over `n_in`.
fn span(i: usize, n_out: usize, n_in: usize) -> (usize, usize) {
    let a = i * n_in / n_out;
    let b = ((i + 1) * n_in / n_out).max(a + 1).min(n_in);
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_downscale_averages_blocks() {
        let src = [0u8, 10, 20, 30, 0, 10, 20, 30];
        assert_eq!(box_downscale(&src, 4, 2, 2, 1), vec![5, 25]);
        let same: Vec<u8> = (0..12).collect();
        assert_eq!(box_downscale(&same, 4, 3, 4, 3), same);
    }

    #[test]
    fn gray_weights() {
        assert_eq!(rgb_to_gray(&[255, 255, 255, 0, 0, 0], 3), vec![255, 0]);
        assert_eq!(rgb_to_gray(&[255, 0, 0, 7], 4), vec![76]);
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert!(FaceDetector::from_model_bytes(&[]).is_err());
        assert!(FaceDetector::from_model_bytes(&[1, 2, 3]).is_err());
        assert!(check_dims(0, 3, 1, 0).is_err());
        assert!(check_dims(2, 2, 4, 15).is_err());
        assert!(check_dims(2, 2, 4, 16).is_ok());
    }
}
