use serde::{Deserialize, Serialize};

/// `m[truth * k + predicted]` pixel counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub k: usize,
    pub m: Vec<u64>,
}

impl Confusion {
    pub fn new(k: usize) -> Confusion {
        Confusion {
            k,
            m: vec![0; k * k],
        }
    }

    #[inline]
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.m[truth * self.k + predicted] += 1;
    }

    pub fn add_all(&mut self, truth: &[u8], predicted: &[u8], map: impl Fn(u8) -> usize) {
        for (&t, &p) in truth.iter().zip(predicted) {
            self.add(map(t), map(p));
        }
    }

    pub fn merge(&mut self, other: &Confusion) {
        self.m.iter_mut().zip(&other.m).for_each(|(a, b)| *a += b);
    }

    pub fn get(&self, truth: usize, predicted: usize) -> u64 {
        self.m[truth * self.k + predicted]
    }

    pub fn total(&self) -> u64 {
        self.m.iter().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..self.k).map(|i| self.get(i, i)).sum();
        right as f64 / self.total().max(1) as f64
    }

    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.m.chunks(self.k).map(|r| r.to_vec()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_accuracy() {
        let mut c = Confusion::new(3);
        c.add_all(&[0, 1, 2, 2], &[0, 2, 2, 2], |x| x as usize);
        assert_eq!(c.get(1, 2), 1);
        assert_eq!(c.accuracy(), 0.75);
    }
}
