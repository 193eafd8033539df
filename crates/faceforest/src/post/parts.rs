//! One blob per face part. A face has one nose, one mouth and one of each eye, so a
//! second blob of a part is a mistake of the forest (a dark nostril read as an eye,
//! a lip-coloured cheek read as mouth). Such blobs are handed to the pixel's next
//! most likely class.

use crate::classes::Class;
use crate::prep::labels::components;

/// The classes that form a single blob on a face.
pub const FACE_PARTS: [u8; 4] = [
    Class::LeftEye as u8,
    Class::RightEye as u8,
    Class::Nose as u8,
    Class::Mouth as u8,
];

/// For each class in `parts`, finds the 8-connected blobs of pixels whose most
/// likely class it is, keeps the largest and, in every other blob, sets the class's
/// probability to zero and rescales the rest to sum to one. `probs` holds `s*s`
/// rows of `k` classes.
///
/// A removed blob may turn into another part (a stray nose pixel whose runner-up
/// is mouth), so passes repeat until no part has a second blob. Every pass that
/// changes anything zeroes a (pixel, part) pair for good, so this ends; the cap
/// only bounds the work on pathological input.
pub fn keep_largest(probs: &mut [f32], s: usize, k: usize, parts: &[u8]) {
    assert_eq!(probs.len(), s * s * k, "probabilities of an s×s square");
    for _ in 0..16 {
        if !one_pass(probs, s, k, parts) {
            break;
        }
    }
}

/// One pass over all parts; whether any blob was removed.
fn one_pass(probs: &mut [f32], s: usize, k: usize, parts: &[u8]) -> bool {
    let mut changed = false;
    let labels: Vec<u8> = probs
        .chunks_exact(k)
        .map(|p| crate::forest::train::argmax(p) as u8)
        .collect();
    for &part in parts {
        let (blob, sizes) = components(s as u32, s as u32, |i| labels[i] == part);
        if sizes.len() < 2 {
            continue;
        }
        changed = true;
        let keep = (0..sizes.len()).max_by_key(|&b| sizes[b]).unwrap() as u32;
        for (i, &b) in blob.iter().enumerate() {
            if b == u32::MAX || b == keep {
                continue;
            }
            let row = &mut probs[i * k..(i + 1) * k];
            row[part as usize] = 0.0;
            let total: f32 = row.iter().sum();
            if total > 0.0 {
                row.iter_mut().for_each(|p| *p /= total);
            } else {
                // Only the part was possible: fall back to background.
                row[Class::Background as usize] = 1.0;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 6×6 square, 3 classes: class 2 in a 2×2 blob and a lone pixel.
    fn square() -> Vec<f32> {
        let s = 6;
        let mut p = vec![0f32; s * s * 3];
        for i in 0..s * s {
            p[i * 3] = 0.6;
            p[i * 3 + 1] = 0.4;
        }
        for &(y, x) in &[(1, 1), (1, 2), (2, 1), (2, 2), (4, 5)] {
            let i = y * s + x;
            p[i * 3..i * 3 + 3].copy_from_slice(&[0.1, 0.3, 0.6]);
        }
        p
    }

    #[test]
    fn the_smaller_blob_goes_to_the_next_class() {
        let mut p = square();
        keep_largest(&mut p, 6, 3, &[2]);
        let argmax = |i: usize| crate::forest::train::argmax(&p[i * 3..i * 3 + 3]);
        for &(y, x) in &[(1, 1), (1, 2), (2, 1), (2, 2)] {
            assert_eq!(argmax(y * 6 + x), 2, "the largest blob stays");
        }
        let lone = 4 * 6 + 5;
        assert_eq!(argmax(lone), 1, "the stray pixel takes its second class");
        let row = &p[lone * 3..lone * 3 + 3];
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((row[1] - 0.75).abs() < 1e-6);
    }

    #[test]
    fn diagonal_pixels_are_one_blob_and_other_classes_are_untouched() {
        let mut p = square();
        // Join the lone pixel diagonally to a second pixel: still smaller than 4.
        let i = 3 * 6 + 4;
        p[i * 3..i * 3 + 3].copy_from_slice(&[0.1, 0.3, 0.6]);
        let before = p.clone();
        keep_largest(&mut p, 6, 3, &[1]);
        assert_eq!(p, before, "class 1 is nowhere the most likely");
        keep_largest(&mut p, 6, 3, &[2]);
        assert_eq!(crate::forest::train::argmax(&p[i * 3..i * 3 + 3]), 1);
    }
}
