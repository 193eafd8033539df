//! Per-class precision, recall, F1 and support with macro and weighted averages, in
//! the layout of scikit-learn's `classification_report` (as the seed printed it).

use crate::metrics::confusion::Confusion;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub name: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub weighted_f1: f64,
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub weighted_precision: f64,
    pub weighted_recall: f64,
    pub support: u64,
    pub classes: Vec<ClassMetrics>,
    /// Rows are the truth, columns the prediction, in `classes` order.
    pub confusion: Vec<Vec<u64>>,
}

impl Report {
    pub fn from_confusion(c: &Confusion, names: &[&str]) -> Report {
        assert_eq!(names.len(), c.k);
        let classes: Vec<ClassMetrics> = (0..c.k)
            .map(|i| {
                let tp = c.get(i, i) as f64;
                let predicted: u64 = (0..c.k).map(|t| c.get(t, i)).sum();
                let support: u64 = (0..c.k).map(|p| c.get(i, p)).sum();
                let precision = if predicted > 0 {
                    tp / predicted as f64
                } else {
                    0.0
                };
                let recall = if support > 0 {
                    tp / support as f64
                } else {
                    0.0
                };
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassMetrics {
                    name: names[i].to_string(),
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect();
        let total: u64 = classes.iter().map(|m| m.support).sum();
        let k = c.k as f64;
        let mean = |f: fn(&ClassMetrics) -> f64| classes.iter().map(f).sum::<f64>() / k;
        let wmean = |f: fn(&ClassMetrics) -> f64| {
            classes.iter().map(|m| f(m) * m.support as f64).sum::<f64>() / total.max(1) as f64
        };
        Report {
            accuracy: c.accuracy(),
            macro_f1: mean(|m| m.f1),
            weighted_f1: wmean(|m| m.f1),
            macro_precision: mean(|m| m.precision),
            macro_recall: mean(|m| m.recall),
            weighted_precision: wmean(|m| m.precision),
            weighted_recall: wmean(|m| m.recall),
            support: total,
            classes,
            confusion: c.rows(),
        }
    }

    pub fn f1_of(&self, name: &str) -> Option<f64> {
        self.classes.iter().find(|c| c.name == name).map(|c| c.f1)
    }

    /// The terminal table: scikit-learn's layout plus the confusion matrix.
    pub fn table(&self) -> String {
        let w = self
            .classes
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0)
            .max(12);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        );
        let _ = writeln!(s);
        for c in &self.classes {
            let _ = writeln!(
                s,
                "{:>w$} {:>9.2} {:>9.2} {:>9.2} {:>9}",
                c.name, c.precision, c.recall, c.f1, c.support
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9.4} {:>9}",
            "accuracy", "", "", self.accuracy, self.support
        );
        let _ = writeln!(
            s,
            "{:>w$} {:>9.2} {:>9.2} {:>9.4} {:>9}",
            "macro avg", self.macro_precision, self.macro_recall, self.macro_f1, self.support
        );
        let _ = writeln!(
            s,
            "{:>w$} {:>9.2} {:>9.2} {:>9.4} {:>9}",
            "weighted avg",
            self.weighted_precision,
            self.weighted_recall,
            self.weighted_f1,
            self.support
        );
        let _ = writeln!(s, "\nconfusion (rows: truth, columns: predicted)");
        let cw = 10;
        let _ = write!(s, "{:>w$}", "");
        for c in &self.classes {
            let short: String = c.name.chars().take(cw - 1).collect();
            let _ = write!(s, " {short:>cw$}");
        }
        let _ = writeln!(s);
        for (c, row) in self.classes.iter().zip(&self.confusion) {
            let _ = write!(s, "{:>w$}", c.name);
            for v in row {
                let _ = write!(s, " {v:>cw$}");
            }
            let _ = writeln!(s);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_report() {
        // truth: 0 0 0 1 1 ; predicted: 0 0 1 1 0
        let mut c = Confusion::new(2);
        c.add_all(&[0, 0, 0, 1, 1], &[0, 0, 1, 1, 0], |x| x as usize);
        let r = Report::from_confusion(&c, &["a", "b"]);
        assert!((r.classes[0].precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.classes[0].recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.classes[1].precision - 0.5).abs() < 1e-12);
        assert!((r.macro_f1 - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
        assert!((r.weighted_f1 - (2.0 / 3.0 * 3.0 + 0.5 * 2.0) / 5.0).abs() < 1e-12);
        assert_eq!(r.accuracy, 0.6);
        assert!(r.table().contains("macro avg"));
    }
}
