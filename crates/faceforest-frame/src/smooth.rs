//! Steadying the face box across webcam frames: exponential smoothing of the box
//! centre and size, with a reset when the face jumps (a new face, or a cut).

use crate::detect::FaceBox;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothParams {
    /// Weight of the new detection in (0, 1]; 1 = no smoothing.
    pub alpha: f32,
    /// Reset (take the new box as is) when the centre moves by more than this many
    /// previous box sides...
    pub reset_distance: f32,
    /// ...or the side changes by more than this factor (either way).
    pub reset_scale: f32,
}

impl Default for SmoothParams {
    fn default() -> Self {
        SmoothParams {
            alpha: 0.35,
            reset_distance: 0.5,
            reset_scale: 1.4,
        }
    }
}

/// One smoothing step: the box to use this frame, given the previous smoothed box
/// and this frame's detection. Pure.
pub fn smooth_box(prev: Option<&FaceBox>, new: &FaceBox, p: &SmoothParams) -> FaceBox {
    let Some(prev) = prev else { return *new };
    let (ps, ns) = (prev.side().max(1e-3), new.side().max(1e-3));
    let (pcx, pcy) = prev.centre();
    let (ncx, ncy) = new.centre();
    let dist = ((ncx - pcx).powi(2) + (ncy - pcy).powi(2)).sqrt();
    let ratio = if ns > ps { ns / ps } else { ps / ns };
    if dist > p.reset_distance * ps || ratio > p.reset_scale.max(1.0) {
        return *new;
    }
    let a = p.alpha.clamp(1e-3, 1.0);
    let mix = |o: f32, n: f32| o + a * (n - o);
    let (cx, cy) = (mix(pcx, ncx), mix(pcy, ncy));
    let (w, h) = (mix(prev.w, new.w), mix(prev.h, new.h));
    // Landmarks are smoothed with the same weight, point by point.
    let keypoints = match (prev.keypoints, new.keypoints) {
        (Some(p), Some(n)) => Some(std::array::from_fn(|i| {
            [mix(p[i][0], n[i][0]), mix(p[i][1], n[i][1])]
        })),
        (_, n) => n,
    };
    FaceBox {
        x: cx - w / 2.0,
        y: cy - h / 2.0,
        w,
        h,
        score: new.score,
        keypoints,
    }
}

/// Smoothing plus a short memory: keeps the last box for up to `max_misses`
/// frames without a detection (the detector blinks), then forgets it.
#[derive(Clone, Debug)]
pub struct BoxTracker {
    pub params: SmoothParams,
    pub max_misses: u32,
    state: Option<FaceBox>,
    misses: u32,
}

impl Default for BoxTracker {
    fn default() -> Self {
        BoxTracker::new(SmoothParams::default(), 5)
    }
}

impl BoxTracker {
    pub fn new(params: SmoothParams, max_misses: u32) -> BoxTracker {
        BoxTracker {
            params,
            max_misses,
            state: None,
            misses: 0,
        }
    }

    /// Feeds this frame's detection (the largest face, or `None`); returns the box
    /// to frame with, if any.
    pub fn update(&mut self, detection: Option<&FaceBox>) -> Option<FaceBox> {
        match detection {
            Some(d) => {
                self.state = Some(smooth_box(self.state.as_ref(), d, &self.params));
                self.misses = 0;
            }
            None => {
                self.misses += 1;
                if self.misses > self.max_misses {
                    self.state = None;
                }
            }
        }
        self.state
    }

    pub fn current(&self) -> Option<FaceBox> {
        self.state
    }

    pub fn reset(&mut self) {
        self.state = None;
        self.misses = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, y: f32, s: f32) -> FaceBox {
        FaceBox {
            x,
            y,
            w: s,
            h: s,
            score: 0.9,
            keypoints: None,
        }
    }

    #[test]
    fn first_box_passes_through() {
        let n = b(10.0, 20.0, 100.0);
        assert_eq!(smooth_box(None, &n, &SmoothParams::default()), n);
    }

    #[test]
    fn small_moves_are_damped() {
        let p = SmoothParams {
            alpha: 0.25,
            ..Default::default()
        };
        let prev = b(100.0, 100.0, 100.0);
        let s = smooth_box(Some(&prev), &b(120.0, 100.0, 100.0), &p);
        assert!(
            (s.x - 105.0).abs() < 1e-4 && (s.y - 100.0).abs() < 1e-4 && (s.w - 100.0).abs() < 1e-4,
            "{s:?}"
        );
        // Size changes are smoothed around the centre.
        let s = smooth_box(Some(&prev), &b(95.0, 95.0, 110.0), &p);
        assert!((s.w - 102.5).abs() < 1e-4);
        assert!((s.centre().0 - 150.0).abs() < 1e-4 && (s.centre().1 - 150.0).abs() < 1e-4);
    }

    #[test]
    fn converges_to_a_still_face() {
        let target = b(300.0, 200.0, 120.0);
        let mut cur = b(280.0, 190.0, 110.0);
        for _ in 0..40 {
            cur = smooth_box(Some(&cur), &target, &SmoothParams::default());
        }
        assert!(
            (cur.x - 300.0).abs() < 0.01 && (cur.w - 120.0).abs() < 0.01,
            "{cur:?}"
        );
    }

    #[test]
    fn big_jumps_reset() {
        let p = SmoothParams::default();
        let prev = b(100.0, 100.0, 100.0);
        let far = b(400.0, 100.0, 100.0);
        assert_eq!(smooth_box(Some(&prev), &far, &p), far);
        let bigger = b(80.0, 80.0, 150.0);
        assert_eq!(smooth_box(Some(&prev), &bigger, &p), bigger);
    }

    #[test]
    fn tracker_holds_through_short_gaps() {
        let mut t = BoxTracker::new(SmoothParams::default(), 2);
        let d = b(0.0, 0.0, 50.0);
        assert_eq!(t.update(Some(&d)), Some(d));
        assert_eq!(t.update(None), Some(d));
        assert_eq!(t.update(None), Some(d));
        assert_eq!(t.update(None), None);
        assert_eq!(t.update(Some(&d)), Some(d));
        t.reset();
        assert_eq!(t.current(), None);
    }
}
