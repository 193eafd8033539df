//! Checking the detector's eye landmarks against labelled face parsing data: the
//! eye centres a label map implies, and the landmark error in inter-ocular
//! distances (used by the tests and `examples/detector_report.rs`).

use crate::detect::FaceBox;

/// Left-eye and right-eye class ids in the model's honest label space.
const EYES: [u8; 2] = [3, 4];
/// An eye needs this many labelled pixels to count.
const MIN_EYE_PIXELS: f64 = 10.0;

/// Centroids of the two eye classes in a `width`-wide label map, ordered by x
/// (image-left first), or `None` unless both eyes are labelled.
pub fn eye_centres(labels: &[u8], width: u32) -> Option<[[f64; 2]; 2]> {
    let w = width.max(1) as usize;
    let mut acc = [[0f64; 3]; 2];
    for (i, &l) in labels.iter().enumerate() {
        if let Some(e) = EYES.iter().position(|&c| c == l) {
            acc[e][0] += (i % w) as f64 + 0.5;
            acc[e][1] += (i / w) as f64 + 0.5;
            acc[e][2] += 1.0;
        }
    }
    if acc.iter().any(|a| a[2] < MIN_EYE_PIXELS) {
        return None;
    }
    let mut c = acc.map(|a| [a[0] / a[2], a[1] / a[2]]);
    c.sort_by(|a, b| a[0].total_cmp(&b[0]));
    Some(c)
}

/// The mean of the two eye landmarks' distances to `centres` (image-left first),
/// over the distance between the centres; `None` for a box without landmarks.
/// BlazeFace's first keypoint is the subject's right eye, on the image's left.
pub fn eye_error(face: &FaceBox, centres: [[f64; 2]; 2]) -> Option<f64> {
    let k = face.keypoints?;
    let [a, b] = centres;
    let iod = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
    let d = |p: [f32; 2], q: [f64; 2]| {
        ((p[0] as f64 - q[0]).powi(2) + (p[1] as f64 - q[1]).powi(2)).sqrt()
    };
    Some((d(k[0], a) + d(k[1], b)) / (2.0 * iod))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_and_error() {
        // 10x4 map: eye 4 on the left (x 1..3), eye 3 on the right (x 6..8), rows 1..3.
        let mut l = vec![0u8; 40];
        for y in 0..4 {
            for x in 1..4 {
                l[y * 10 + x] = 4;
            }
            for x in 6..9 {
                l[y * 10 + x] = 3;
            }
        }
        let c = eye_centres(&l, 10).unwrap();
        assert_eq!(c, [[2.5, 2.0], [7.5, 2.0]]);
        let mut f = FaceBox::new(0.0, 0.0, 10.0, 4.0);
        assert_eq!(eye_error(&f, c), None);
        f.keypoints = Some([
            [2.5, 2.5],
            [7.5, 1.5],
            [0.0; 2],
            [0.0; 2],
            [0.0; 2],
            [0.0; 2],
        ]);
        assert!((eye_error(&f, c).unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(eye_centres(&l[..20], 10), None); // 6 pixels per eye: too few
    }
}
