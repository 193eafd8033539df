//! Precision–recall curves per class, streamed: scores are counted into fine
//! histograms (positives and negatives apart), so no pixel list is kept or sorted.

use serde::{Deserialize, Serialize};

const LEVELS: usize = 1000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrCurves {
    pub names: Vec<String>,
    pos: Vec<Vec<u64>>,
    neg: Vec<Vec<u64>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrCurve {
    pub name: String,
    /// (recall, precision) from the highest threshold down.
    pub points: Vec<(f64, f64)>,
    pub average_precision: f64,
}

impl PrCurves {
    pub fn new(names: &[&str]) -> PrCurves {
        let k = names.len();
        PrCurves {
            names: names.iter().map(|s| s.to_string()).collect(),
            pos: vec![vec![0; LEVELS + 1]; k],
            neg: vec![vec![0; LEVELS + 1]; k],
        }
    }

    /// Adds pixels: `probs` holds `k` scores per pixel, `truth` one class each.
    pub fn add(&mut self, probs: &[f32], truth: &[u8]) {
        let k = self.names.len();
        for (row, &t) in probs.chunks_exact(k).zip(truth) {
            if t as usize >= k {
                continue; // not a photo pixel (padding, or off a shifted photo)
            }
            for (c, &score) in row.iter().enumerate() {
                let level = (score.clamp(0.0, 1.0) * LEVELS as f32).round() as usize;
                if t as usize == c {
                    self.pos[c][level] += 1;
                } else {
                    self.neg[c][level] += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &PrCurves) {
        for (a, b) in self
            .pos
            .iter_mut()
            .zip(&other.pos)
            .chain(self.neg.iter_mut().zip(&other.neg))
        {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
    }

    pub fn curves(&self) -> Vec<PrCurve> {
        (0..self.names.len())
            .map(|c| {
                let total_pos: u64 = self.pos[c].iter().sum();
                let (mut tp, mut fp) = (0u64, 0u64);
                let mut points = Vec::new();
                let mut ap = 0.0;
                let mut last_recall = 0.0;
                for level in (0..=LEVELS).rev() {
                    tp += self.pos[c][level];
                    fp += self.neg[c][level];
                    if tp + fp == 0 {
                        continue;
                    }
                    let precision = tp as f64 / (tp + fp) as f64;
                    let recall = tp as f64 / total_pos.max(1) as f64;
                    ap += (recall - last_recall) * precision;
                    last_recall = recall;
                    points.push((recall, precision));
                }
                PrCurve {
                    name: self.names[c].clone(),
                    points,
                    average_precision: ap,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_scores_give_ap_one() {
        let mut pr = PrCurves::new(&["a", "b"]);
        pr.add(&[0.9, 0.1, 0.2, 0.8, 0.7, 0.3], &[0, 1, 0]);
        let c = pr.curves();
        assert!((c[0].average_precision - 1.0).abs() < 1e-12);
        assert!((c[1].average_precision - 1.0).abs() < 1e-12);
        let mut pr = PrCurves::new(&["a", "b"]);
        // One positive ranked below a negative for class a.
        pr.add(&[0.9, 0.1, 0.6, 0.4, 0.5, 0.5], &[0, 1, 0]);
        let ap = pr.curves()[0].average_precision;
        assert!((ap - (0.5 * 1.0 + 0.5 * 2.0 / 3.0)).abs() < 1e-12, "{ap}");
    }
}
