//! Face detection with BlazeFace (MediaPipe's short-range face detector,
//! `face_detection_short_range.tflite`, Apache-2.0): a box and six keypoints per
//! face — both eyes, the nose tip, the mouth centre and both ear tragions.
//!
//! The network sees a 128×128 view. The whole photo is one view (letterboxed); a
//! long strip (a panorama) is also covered by square views along its length, so a
//! face that fills the strip's height is seen at a useful size. Detections from all
//! views are merged by MediaPipe's weighted non-maximum suppression.

use crate::error::FrameError;
use crate::tflite::Graph;
use image::RgbImage;

/// The network's input side.
const INPUT: usize = 128;
/// Anchors: a 16×16 grid with 2 per cell, then an 8×8 grid with 6 per cell (the
/// short-range model's SSD configuration: strides 8, 16, 16, 16; fixed size).
const GRIDS: [(usize, usize); 2] = [(16, 2), (8, 6)];
const ANCHORS: usize = 16 * 16 * 2 + 8 * 8 * 6;
/// Values per anchor: box (4) and six (x, y) keypoints.
const VALUES: usize = 16;
/// Weighted NMS merges detections that overlap more than this (IoU).
const NMS_IOU: f32 = 0.3;
/// Views per strip: square views of the short side, overlapping by half, are added
/// when the long side is more than this many times the short one.
const STRIP_ASPECT: f32 = 1.5;
/// At most this many views in all (a 100:1 strip is sampled, not covered).
const MAX_VIEWS: usize = 24;

/// A detected face, in the pixels of the image given to `detect` (the box may
/// overhang the image slightly).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Detector confidence in (0, 1).
    pub score: f32,
    /// Keypoints in image pixels, in BlazeFace's order: the subject's right eye
    /// (on the image's left in an unmirrored photo), left eye, nose tip, mouth
    /// centre, right ear tragion, left ear tragion. `None` for a box placed by hand.
    pub keypoints: Option<[[f32; 2]; 6]>,
}

impl FaceBox {
    /// A box without keypoints (placed by hand).
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> FaceBox {
        FaceBox {
            x,
            y,
            w,
            h,
            score: 1.0,
            keypoints: None,
        }
    }

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

    /// Head roll in radians from the eye line (positive = clockwise on screen, the
    /// subject's left eye lower than the right one); 0 without keypoints.
    pub fn roll(&self) -> f32 {
        match self.keypoints {
            Some(k) => (k[1][1] - k[0][1]).atan2(k[1][0] - k[0][0]),
            None => 0.0,
        }
    }

    fn iou(&self, o: &FaceBox) -> f32 {
        let ix = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let iy = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.area() + o.area() - inter)
    }
}

/// Detection settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectOptions {
    /// Minimum confidence, in (0, 1); MediaPipe's default is 0.5.
    pub score_threshold: f32,
    /// Also look in square views along a long strip (see the module comment).
    pub strips: bool,
    /// Look again at each found face, closer and turned upright (see [`REFINE_SIDES`]),
    /// and average: steadier landmarks for two more network runs per face.
    pub refine: bool,
    /// When the whole view finds no face surely (score below [`SURE_FACE`]), look
    /// again in overlapping squares, half the short side and smaller (see
    /// [`MIN_TILE_SIDE`]): the whole view only finds faces of about a tenth of the
    /// photo's longer side (the network needs some 20 of its 128 pixels).
    pub small_faces: bool,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            score_threshold: 0.5,
            strips: true,
            refine: true,
            small_faces: true,
        }
    }
}

impl DetectOptions {
    /// Settings for live video: the whole frame as one view, no second look (the
    /// tracker smooths the landmarks over frames instead).
    pub fn fast() -> Self {
        DetectOptions {
            strips: false,
            refine: false,
            small_faces: false,
            ..DetectOptions::default()
        }
    }
}

/// The second look at a face: square views of these many box sides, centred on the
/// face and turned by its roll. Two sizes, so that their errors partly cancel.
pub const REFINE_SIDES: [f32; 2] = [1.6, 2.4];
/// BlazeFace's eye points sit below the centre of the eye as labelled in the face
/// parsing data: by 0.034 inter-ocular distances on the CelebAMask-HQ train part
/// (687 photos) and 0.025 on FASSEG frontal02 (70), measured with
/// `examples/detector_report.rs`. Both eye points are raised by this much (along
/// the face's own up direction), so that the landmarks mean what the labels mean.
pub const EYE_RAISE: f32 = 0.03;
/// A face this sure makes the small-face search unnecessary.
pub const SURE_FACE: f32 = 0.75;
/// Faces less sure than the surest one by more than this are dropped: on textured
/// backgrounds BlazeFace finds the odd false face at 0.5-0.55 beside a real one at
/// 0.95 (`examples/measure_framing.rs`), and the largest face is the default pick.
pub const SCORE_SPREAD: f32 = 0.3;
/// A second-look detection counts for the face it overlaps at least this much (IoU).
const REFINE_MIN_IOU: f32 = 0.3;
/// At most this many faces (the largest) get a second look.
const REFINED_FACES: usize = 4;

/// A view of the photo the network sees: a square of side `side` source pixels
/// centred at (`cx`, `cy`), turned by `angle` (radians, clockwise on screen),
/// sampled to 128×128 (outside the photo is black).
#[derive(Clone, Copy, Debug)]
struct View {
    cx: f32,
    cy: f32,
    side: f32,
    angle: f32,
}

impl View {
    /// Source position of the view point (`u`, `v`), both in [0, 1].
    fn to_src(self, u: f32, v: f32) -> [f32; 2] {
        let (sin, cos) = self.angle.sin_cos();
        let (du, dv) = ((u - 0.5) * self.side, (v - 0.5) * self.side);
        [self.cx + du * cos - dv * sin, self.cy + du * sin + dv * cos]
    }
}

/// The BlazeFace network, read from the `.tflite` file's bytes.
#[derive(Clone, Debug)]
pub struct FaceDetector {
    graph: Graph,
    anchors: Vec<[f32; 2]>,
}

impl FaceDetector {
    /// Reads `face_detection_short_range.tflite` from bytes; any other file is an
    /// error that says what is wrong with it.
    pub fn from_model_bytes(bytes: &[u8]) -> Result<FaceDetector, FrameError> {
        if bytes.is_empty() {
            return Err(FrameError::Model("the model buffer is empty".into()));
        }
        let graph = Graph::from_bytes(bytes)?;
        if graph.input_shape() != [1, INPUT, INPUT, 3] {
            return Err(FrameError::Model(format!(
                "the network's input is {:?}, not BlazeFace short-range's [1, 128, 128, 3]",
                graph.input_shape()
            )));
        }
        let outs = graph.output_shapes();
        if outs != [&[1, ANCHORS, VALUES][..], &[1, ANCHORS, 1][..]] {
            return Err(FrameError::Model(format!(
                "the network's outputs are {outs:?}, not BlazeFace short-range's [1, 896, 16] and [1, 896, 1]"
            )));
        }
        let mut anchors = Vec::with_capacity(ANCHORS);
        for (grid, per_cell) in GRIDS {
            for y in 0..grid {
                for x in 0..grid {
                    for _ in 0..per_cell {
                        anchors.push([
                            (x as f32 + 0.5) / grid as f32,
                            (y as f32 + 0.5) / grid as f32,
                        ]);
                    }
                }
            }
        }
        Ok(FaceDetector { graph, anchors })
    }

    /// Faces in interleaved 8-bit pixels with `channels` bytes each (RGB first),
    /// largest first.
    fn detect_pixels(
        &self,
        px: &[u8],
        channels: usize,
        width: u32,
        height: u32,
        opts: &DetectOptions,
    ) -> Result<Vec<FaceBox>, FrameError> {
        check_dims(width, height, channels as u64, px.len())?;
        if !(opts.score_threshold > 0.0 && opts.score_threshold < 1.0) {
            return Err(FrameError::InvalidImage(format!(
                "the score threshold must lie between 0 and 1, not {}",
                opts.score_threshold
            )));
        }
        let img = Pixels {
            px,
            channels,
            w: width as usize,
            h: height as usize,
        };
        let mut found = Vec::new();
        for view in views(width as f32, height as f32, opts.strips) {
            found.extend(self.detect_view(&img, view, opts.score_threshold));
        }
        if opts.small_faces && !found.iter().any(|f| f.score >= SURE_FACE) {
            // Dozens of views are dozens of chances of a false face: here a face
            // must be sure. The first level that finds one ends the search.
            for level in tile_levels(width as f32, height as f32) {
                let before = found.len();
                for view in level {
                    found.extend(self.detect_view(&img, view, SURE_FACE.max(opts.score_threshold)));
                }
                if found.len() > before {
                    break;
                }
            }
        }
        let mut faces = weighted_nms(found);
        let best = faces.iter().map(|f| f.score).fold(0.0, f32::max);
        faces.retain(|f| f.score >= best - SCORE_SPREAD);
        faces.sort_by(|a, b| b.area().total_cmp(&a.area()));
        if opts.refine {
            for face in faces.iter_mut().take(REFINED_FACES) {
                let mut looks = vec![*face];
                let (cx, cy) = face.centre();
                for f in REFINE_SIDES {
                    let view = View {
                        cx,
                        cy,
                        side: f * face.side(),
                        angle: face.roll(),
                    };
                    let best = self
                        .detect_view(&img, view, opts.score_threshold)
                        .into_iter()
                        .filter(|d| d.iou(face) >= REFINE_MIN_IOU)
                        .max_by(|a, b| a.score.total_cmp(&b.score));
                    looks.extend(best);
                }
                *face = FaceBox {
                    score: face.score,
                    ..weighted_mean(&looks)
                };
            }
        }
        for f in &mut faces {
            raise_eyes(f);
        }
        faces.sort_by(|a, b| {
            b.area()
                .total_cmp(&a.area())
                .then(b.score.total_cmp(&a.score))
        });
        Ok(faces)
    }

    /// Runs the network on one view; boxes in source pixels.
    fn detect_view(&self, img: &Pixels, view: View, threshold: f32) -> Vec<FaceBox> {
        let input = img.sample(view);
        let Ok(out) = self.graph.run(&input) else {
            return Vec::new();
        };
        let (regs, scores) = (&out[0], &out[1]);
        let logit_min = (threshold / (1.0 - threshold)).ln();
        let scale = view.side;
        let to_src = |u: f32, v: f32| view.to_src(u, v);
        let mut faces = Vec::new();
        for (a, anchor) in self.anchors.iter().enumerate() {
            let logit = scores[a].clamp(-100.0, 100.0);
            // A NaN score (a damaged model) is no face either.
            if logit.is_nan() || logit < logit_min {
                continue;
            }
            let r = &regs[a * VALUES..][..VALUES];
            let k = INPUT as f32;
            let (cx, cy) = (r[0] / k + anchor[0], r[1] / k + anchor[1]);
            let (w, h) = (r[2] / k, r[3] / k);
            if !(w > 0.0
                && h > 0.0
                && w.is_finite()
                && h.is_finite()
                && cx.is_finite()
                && cy.is_finite())
            {
                continue;
            }
            let mut kp = [[0f32; 2]; 6];
            for (i, p) in kp.iter_mut().enumerate() {
                *p = to_src(r[4 + 2 * i] / k + anchor[0], r[5 + 2 * i] / k + anchor[1]);
            }
            // A turned view's box is taken as the same-sized upright box about its centre.
            if kp.iter().flatten().any(|v| !v.is_finite()) {
                continue;
            }
            let [x, y] = to_src(cx, cy);
            faces.push(FaceBox {
                x: x - w * scale / 2.0,
                y: y - h * scale / 2.0,
                w: w * scale,
                h: h * scale,
                score: 1.0 / (1.0 + (-logit).exp()),
                keypoints: Some(kp),
            });
        }
        faces
    }

    /// Faces in an RGB image, largest first.
    pub fn detect(&self, img: &RgbImage, opts: &DetectOptions) -> Result<Vec<FaceBox>, FrameError> {
        self.detect_pixels(img.as_raw(), 3, img.width(), img.height(), opts)
    }

    /// Faces in straight RGBA bytes (a browser `ImageData`), largest first. Alpha is
    /// ignored here: callers apply the product's transparency rule first.
    pub fn detect_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        opts: &DetectOptions,
    ) -> Result<Vec<FaceBox>, FrameError> {
        self.detect_pixels(rgba, 4, width, height, opts)
    }
}

/// The views for a `w`×`h` photo: the whole photo letterboxed into a square, and,
/// for a long strip, squares of the short side along it.
fn views(w: f32, h: f32, strips: bool) -> Vec<View> {
    let mut v = vec![View {
        cx: w / 2.0,
        cy: h / 2.0,
        side: w.max(h),
        angle: 0.0,
    }];
    let (long, short) = (w.max(h), w.min(h));
    if strips && long > STRIP_ASPECT * short {
        for c in centres_along(long, short, MAX_VIEWS - 1) {
            let (cx, cy) = if w >= h { (c, h / 2.0) } else { (w / 2.0, c) };
            v.push(View {
                cx,
                cy,
                side: short,
                angle: 0.0,
            });
        }
    }
    v
}

/// Centres of squares of `side` that cover a length `len`, overlapping by half (at
/// most `max` of them, spread evenly; one when the square covers it all).
fn centres_along(len: f32, side: f32, max: usize) -> Vec<f32> {
    let n = (((len - side) / (side / 2.0)).ceil().max(0.0) as usize + 1).min(max);
    (0..n)
        .map(|i| side / 2.0 + (len - side) * i as f32 / (n - 1).max(1) as f32)
        .collect()
}

/// The small-face search stops at squares this small (source pixels): a face the
/// network finds in one is at least some 50 pixels tall, and a smaller face would
/// be segmented from a crop enlarged many times.
pub const MIN_TILE_SIDE: f32 = 320.0;
/// At most this many squares in all.
const MAX_TILES: usize = 160;

/// The small-face search, level by level: squares of half the short side,
/// overlapping by half, covering the photo; then squares half that size, down to
/// [`MIN_TILE_SIDE`].
fn tile_levels(w: f32, h: f32) -> Vec<Vec<View>> {
    let mut levels = Vec::new();
    let mut side = w.min(h) / 2.0;
    let mut total = 0;
    while side >= MIN_TILE_SIDE.min(w.min(h) / 2.0).max(INPUT as f32) {
        let (xs, ys) = (
            centres_along(w, side, usize::MAX),
            centres_along(h, side, usize::MAX),
        );
        let level: Vec<View> = ys
            .iter()
            .flat_map(|&cy| {
                xs.iter().map(move |&cx| View {
                    cx,
                    cy,
                    side,
                    angle: 0.0,
                })
            })
            .collect();
        total += level.len();
        if total > MAX_TILES {
            break;
        }
        levels.push(level);
        side /= 2.0;
    }
    levels
}

/// MediaPipe's weighted non-maximum suppression: the most confident detection and
/// those overlapping it by more than [`NMS_IOU`] become one face, the box and
/// keypoints averaged by score (the score is the most confident one's).
fn weighted_nms(mut found: Vec<FaceBox>) -> Vec<FaceBox> {
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !found.is_empty() {
        // The top always leaves with its group, so the loop ends whatever the values.
        let top = found.remove(0);
        let (mut group, rest): (Vec<FaceBox>, Vec<FaceBox>) =
            found.into_iter().partition(|f| top.iou(f) > NMS_IOU);
        group.insert(0, top);
        found = rest;
        out.push(FaceBox {
            score: top.score,
            ..weighted_mean(&group)
        });
    }
    out
}

/// Moves both eye points up the face by [`EYE_RAISE`] inter-ocular distances.
fn raise_eyes(f: &mut FaceBox) {
    let Some(k) = f.keypoints.as_mut() else {
        return;
    };
    let (ax, ay) = (k[1][0] - k[0][0], k[1][1] - k[0][1]);
    // Perpendicular to the eye line, pointing up the face: (ay, -ax).
    for p in &mut k[..2] {
        p[0] += EYE_RAISE * ay;
        p[1] -= EYE_RAISE * ax;
    }
}

/// The score-weighted mean of detections of one face: box and keypoints (the
/// score is the mean score).
fn weighted_mean(group: &[FaceBox]) -> FaceBox {
    let total: f32 = group.iter().map(|f| f.score).sum();
    let mean =
        |g: &dyn Fn(&FaceBox) -> f32| group.iter().map(|f| g(f) * f.score).sum::<f32>() / total;
    let mut kp = [[0f32; 2]; 6];
    for (i, p) in kp.iter_mut().enumerate() {
        for (j, c) in p.iter_mut().enumerate() {
            *c = mean(&|f: &FaceBox| f.keypoints.map_or(0.0, |k| k[i][j]));
        }
    }
    FaceBox {
        x: mean(&|f: &FaceBox| f.x),
        y: mean(&|f: &FaceBox| f.y),
        w: mean(&|f: &FaceBox| f.w),
        h: mean(&|f: &FaceBox| f.h),
        score: total / group.len() as f32,
        keypoints: Some(kp),
    }
}

/// A borrowed image with interleaved channels (RGB first).
struct Pixels<'a> {
    px: &'a [u8],
    channels: usize,
    w: usize,
    h: usize,
}

impl Pixels<'_> {
    /// The network input for a view: 128×128×3 floats in [-1, 1], each the mean of
    /// n×n point samples over the output pixel's footprint (n grows with the
    /// downscale, so a large photo is averaged rather than aliased); black outside.
    fn sample(&self, view: View) -> Vec<f32> {
        let step = view.side / INPUT as f32;
        let n = (step.ceil() as usize).clamp(1, 8);
        if view.angle != 0.0 {
            return self.sample_turned(view, n);
        }
        let (x0, y0) = (view.cx - view.side / 2.0, view.cy - view.side / 2.0);
        // Source coordinates of the sub-samples along each axis (None = outside).
        let axis = |origin: f32, len: usize| -> Vec<Option<usize>> {
            (0..INPUT * n)
                .map(|i| {
                    let s = origin + (i as f32 + 0.5) * step / n as f32;
                    (s >= 0.0 && (s as usize) < len).then_some(s as usize)
                })
                .collect()
        };
        let xs = axis(x0, self.w);
        let ys = axis(y0, self.h);
        let mut out = vec![-1f32; INPUT * INPUT * 3];
        let norm = 1.0 / (127.5 * (n * n) as f32);
        let mut acc = vec![[0u32; 3]; INPUT];
        for oy in 0..INPUT {
            acc.iter_mut().for_each(|a| *a = [0; 3]);
            for y in ys[oy * n..(oy + 1) * n].iter().flatten() {
                let row = &self.px[y * self.w * self.channels..][..self.w * self.channels];
                for (ox, a) in acc.iter_mut().enumerate() {
                    for x in xs[ox * n..(ox + 1) * n].iter().flatten() {
                        let p = &row[x * self.channels..][..3];
                        a[0] += p[0] as u32;
                        a[1] += p[1] as u32;
                        a[2] += p[2] as u32;
                    }
                }
            }
            for (ox, a) in acc.iter().enumerate() {
                let o = &mut out[(oy * INPUT + ox) * 3..][..3];
                for c in 0..3 {
                    // Black (0) where samples fell outside: they add nothing.
                    o[c] = a[c] as f32 * norm - 1.0;
                }
            }
        }
        out
    }
}

impl Pixels<'_> {
    /// [`Pixels::sample`] for a turned view: each of the n×n sub-samples is the
    /// source pixel under its turned position.
    fn sample_turned(&self, view: View, n: usize) -> Vec<f32> {
        let mut out = vec![-1f32; INPUT * INPUT * 3];
        let norm = 1.0 / (127.5 * (n * n) as f32);
        let sub = 1.0 / (INPUT * n) as f32;
        for oy in 0..INPUT {
            for ox in 0..INPUT {
                let mut a = [0u32; 3];
                for sy in 0..n {
                    for sx in 0..n {
                        let u = ((ox * n + sx) as f32 + 0.5) * sub;
                        let v = ((oy * n + sy) as f32 + 0.5) * sub;
                        let [x, y] = view.to_src(u, v);
                        if x >= 0.0 && y >= 0.0 && (x as usize) < self.w && (y as usize) < self.h {
                            let p =
                                &self.px[(y as usize * self.w + x as usize) * self.channels..][..3];
                            a[0] += p[0] as u32;
                            a[1] += p[1] as u32;
                            a[2] += p[2] as u32;
                        }
                    }
                }
                let o = &mut out[(oy * INPUT + ox) * 3..][..3];
                for c in 0..3 {
                    o[c] = a[c] as f32 * norm - 1.0;
                }
            }
        }
        out
    }
}

fn check_dims(width: u32, height: u32, channels: u64, len: usize) -> Result<(), FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::InvalidImage(format!(
            "the image is {width}×{height}"
        )));
    }
    if width as u64 * height as u64 > faceforest::limits::MAX_PIXELS {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_photo_level_by_level() {
        let l = tile_levels(1280.0, 720.0);
        assert_eq!(l.len(), 1); // 360 px squares; 180 would be under MIN_TILE_SIDE
        let t = &l[0];
        assert_eq!(t.len(), 7 * 3);
        assert!(t.iter().all(|v| v.side == 360.0));
        assert_eq!((t[0].cx, t[0].cy), (180.0, 180.0));
        assert_eq!((t[20].cx, t[20].cy), (1100.0, 540.0));
        let big = tile_levels(2048.0, 1280.0);
        assert_eq!(
            big.iter().map(|l| l[0].side).collect::<Vec<_>>(),
            [640.0, 320.0]
        );
        // A small photo is searched once, at half its short side.
        assert_eq!(tile_levels(400.0, 300.0)[0][0].side, 150.0);
        assert!(tile_levels(200.0, 200.0).is_empty());
    }

    #[test]
    fn views_cover_a_strip() {
        assert_eq!(views(640.0, 480.0, true).len(), 1);
        let v = views(8000.0, 300.0, true);
        assert!(v.len() > 2 && v.len() <= MAX_VIEWS);
        assert_eq!(v[1].side, 300.0);
        assert_eq!(v[1].cx, 150.0);
        assert_eq!(v.last().unwrap().cx, 8000.0 - 150.0);
        assert_eq!(views(8000.0, 300.0, false).len(), 1);
        let tall = views(300.0, 1000.0, true);
        assert!(tall.iter().skip(1).all(|v| v.cx == 150.0));
    }

    #[test]
    fn sampling_averages_and_pads_black() {
        // 256x256 mid-grey photo with a white left half: the letterboxed view of a
        // 256x128 photo is half black (rows outside), values exact.
        let (w, h) = (256usize, 128usize);
        let px: Vec<u8> = (0..w * h)
            .flat_map(|i| if i % w < 128 { [255u8; 3] } else { [0, 0, 0] })
            .collect();
        let img = Pixels {
            px: &px,
            channels: 3,
            w,
            h,
        };
        let t = img.sample(View {
            cx: 128.0,
            cy: 64.0,
            side: 256.0,
            angle: 0.0,
        });
        let at = |x: usize, y: usize| t[(y * INPUT + x) * 3];
        assert_eq!(at(10, 10), -1.0); // above the photo
        assert!((at(10, 64) - 1.0).abs() < 1e-6); // white
        assert_eq!(at(100, 64), -1.0); // black half
        assert!((at(10, 90) - 1.0).abs() < 1e-6);
        assert_eq!(at(10, 100), -1.0); // below the photo (rows 32..96 hold it)
        assert_eq!(at(10, 127), -1.0); // below
    }

    #[test]
    fn nms_merges_overlaps_by_score() {
        let f = |x: f32, s: f32| FaceBox {
            x,
            y: 0.0,
            w: 10.0,
            h: 10.0,
            score: s,
            keypoints: Some([[x, 0.0]; 6]),
        };
        // A NaN box (from a damaged network) still leaves the loop.
        let nan = weighted_nms(vec![f(f32::NAN, 0.9), f(f32::NAN, 0.8)]);
        assert_eq!(nan.len(), 2);
        let out = weighted_nms(vec![f(0.0, 0.9), f(1.0, 0.3), f(50.0, 0.8)]);
        assert_eq!(out.len(), 2);
        assert!((out[0].x - 0.25).abs() < 1e-5);
        assert_eq!(out[0].score, 0.9);
        assert!((out[0].keypoints.unwrap()[3][0] - 0.25).abs() < 1e-5);
        assert_eq!(out[1].x, 50.0);
    }

    #[test]
    fn roll_from_the_eyes() {
        let mut b = FaceBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(b.roll(), 0.0);
        b.keypoints = Some([
            [0.0, 0.0],
            [10.0, 10.0],
            [0.0; 2],
            [0.0; 2],
            [0.0; 2],
            [0.0; 2],
        ]);
        assert!((b.roll() - std::f32::consts::FRAC_PI_4).abs() < 1e-6);
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
