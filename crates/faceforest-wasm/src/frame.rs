//! Bindings for `faceforest-frame`: face detection, the crop the model expects, and
//! webcam box smoothing. Only JS conversion lives here; the logic is in the frame crate.

use crate::{err, get, read_image, set, Segmenter};
use faceforest_frame::{self as frame, CropRect, DetectOptions, FaceBox};
use image::RgbImage;
use js_sys::{Array, Float32Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;

fn num(v: &JsValue, key: &str) -> Option<f64> {
    get(v, key).as_f64().filter(|x| x.is_finite())
}

/// Keypoint names, in BlazeFace's order (the subject's right and left).
const LANDMARKS: [&str; 6] = [
    "rightEye", "leftEye", "noseTip", "mouth", "rightEar", "leftEar",
];

fn point_to_js(p: [f32; 2]) -> Object {
    let o = Object::new();
    set(&o, "x", &p[0].into());
    set(&o, "y", &p[1].into());
    o
}

fn box_to_js(b: &FaceBox) -> Object {
    let o = Object::new();
    set(&o, "x", &b.x.into());
    set(&o, "y", &b.y.into());
    set(&o, "w", &b.w.into());
    set(&o, "h", &b.h.into());
    set(&o, "score", &b.score.into());
    if let Some(k) = b.keypoints {
        let l = Object::new();
        for (name, p) in LANDMARKS.iter().zip(k) {
            set(&l, name, &point_to_js(p));
        }
        set(&o, "landmarks", &l);
        set(&o, "roll", &b.roll().into());
    }
    o
}

/// `landmarks` is optional (a box placed by hand has none); when given, all six
/// points must be finite.
fn landmarks_from_js(v: &JsValue) -> Result<Option<[[f32; 2]; 6]>, JsError> {
    let l = get(v, "landmarks");
    if l.is_null() || l.is_undefined() {
        return Ok(None);
    }
    let mut k = [[0f32; 2]; 6];
    for (name, p) in LANDMARKS.iter().zip(k.iter_mut()) {
        let pt = get(&l, name);
        for (c, axis) in p.iter_mut().zip(["x", "y"]) {
            *c = num(&pt, axis).ok_or_else(|| {
                JsError::new(&format!(
                    "invalid face box: `landmarks.{name}.{axis}` must be a finite number"
                ))
            })? as f32;
        }
    }
    Ok(Some(k))
}

fn box_from_js(v: &JsValue) -> Result<FaceBox, JsError> {
    let f = |k: &str| {
        num(v, k).map(|x| x as f32).ok_or_else(|| {
            JsError::new(&format!("invalid face box: `{k}` must be a finite number"))
        })
    };
    let (w, h) = (f("w")?, f("h")?);
    if w <= 0.0 || h <= 0.0 {
        return Err(JsError::new(
            "invalid face box: `w` and `h` must be positive",
        ));
    }
    Ok(FaceBox {
        x: f("x")?,
        y: f("y")?,
        w,
        h,
        score: num(v, "score").unwrap_or(1.0) as f32,
        keypoints: landmarks_from_js(v)?,
    })
}

fn crop_to_js(c: &CropRect) -> Object {
    let o = Object::new();
    set(&o, "x", &c.x.into());
    set(&o, "y", &c.y.into());
    set(&o, "w", &c.w.into());
    set(&o, "h", &c.h.into());
    set(&o, "angle", &c.angle.into());
    o
}

fn crop_from_js(v: &JsValue) -> Result<CropRect, JsError> {
    let f = |k: &str| {
        num(v, k)
            .ok_or_else(|| JsError::new(&format!("invalid crop: `{k}` must be a finite number")))
    };
    let (w, h) = (f("w")?.round(), f("h")?.round());
    if w < 1.0 || h < 1.0 || w > 65536.0 || h > 65536.0 {
        return Err(JsError::new(
            "invalid crop: `w` and `h` must be between 1 and 65536",
        ));
    }
    // `angle` (radians, clockwise on screen) is optional: a crop drawn by hand is upright.
    let a = get(v, "angle");
    let angle = if a.is_undefined() || a.is_null() {
        0.0
    } else {
        num(v, "angle").ok_or_else(|| {
            JsError::new("invalid crop: `angle` must be a finite number (radians)")
        })?
    };
    Ok(CropRect {
        x: f("x")?.round() as i32,
        y: f("y")?.round() as i32,
        w: w as u32,
        h: h as u32,
        angle: angle as f32,
    })
}

/// `{ fast, scoreThreshold }`, both optional; `fast` starts from
/// `DetectOptions::fast()` (live video: the whole frame as one view) instead of the
/// default. The package checks the ranges first; the detector refuses a threshold
/// outside (0, 1) too.
fn options_from_js(v: &JsValue) -> DetectOptions {
    if !v.is_object() {
        return DetectOptions::default();
    }
    let mut o = if get(v, "fast").is_truthy() {
        DetectOptions::fast()
    } else {
        DetectOptions::default()
    };
    if let Some(x) = num(v, "scoreThreshold") {
        o.score_threshold = x as f32;
    }
    o
}

fn rgb_of(rgba: &[u8], w: u32, h: u32) -> RgbImage {
    let rgb: Vec<u8> = rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    RgbImage::from_raw(w, h, rgb).expect("length checked by read_image")
}

/// BlazeFace (MediaPipe's short-range face detector), loaded from
/// `face_detection_short_range.tflite`.
#[wasm_bindgen]
pub struct FaceDetector {
    inner: frame::FaceDetector,
}

#[wasm_bindgen]
impl FaceDetector {
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<FaceDetector, JsError> {
        Ok(FaceDetector {
            inner: frame::FaceDetector::from_model_bytes(model).map_err(err)?,
        })
    }

    /// `detect(imageData, options?)` → `[{ x, y, w, h, score, landmarks, roll }]`,
    /// largest first, in the image's pixels (boxes may overhang the image a little);
    /// `landmarks` holds `rightEye`, `leftEye`, `noseTip`, `mouth`, `rightEar`,
    /// `leftEar` as `{ x, y }` (the subject's right and left), `roll` the eye line's
    /// angle in radians (positive: clockwise on screen).
    pub fn detect(&self, image: &JsValue, options: JsValue) -> Result<Array, JsError> {
        let (rgba, w, h) = read_image(image, None, None)?;
        let faces = self
            .inner
            .detect_rgba(&rgba, w, h, &options_from_js(&options))
            .map_err(err)?;
        Ok(faces.iter().map(|b| JsValue::from(box_to_js(b))).collect())
    }
}

/// `cropFor(box, imageWidth, imageHeight)` → `{ x, y, w, h, angle }`: the crop
/// (training framing plus margin) to segment around a face; it may overhang the
/// image. `angle` (radians, clockwise on screen) turns it about its centre with a
/// tilted head (from the box's landmarks; 0 below 5° of roll or without them).
#[wasm_bindgen(js_name = cropFor)]
pub fn crop_for(face: &JsValue, img_w: u32, img_h: u32) -> Result<Object, JsError> {
    Ok(crop_to_js(&frame::crop_for(
        &box_from_js(face)?,
        img_w,
        img_h,
    )))
}

/// Width / height of the crops `cropFor` returns (the training photos' aspect).
#[wasm_bindgen(js_name = cropAspect)]
pub fn crop_aspect() -> f32 {
    frame::CROP_ASPECT
}

/// `pasteLabels(crop, labels, labelsWidth, labelsHeight, imageWidth, imageHeight)`:
/// labels of a crop (at any size) placed on a whole image; background elsewhere.
#[wasm_bindgen(js_name = pasteLabels)]
pub fn paste_labels(
    crop: &JsValue,
    labels: &[u8],
    labels_w: u32,
    labels_h: u32,
    img_w: u32,
    img_h: u32,
) -> Result<Uint8Array, JsError> {
    let c = crop_from_js(crop)?;
    let out =
        frame::paste_labels_scaled(&c, labels, labels_w, labels_h, img_w, img_h).map_err(err)?;
    Ok(Uint8Array::from(&out[..]))
}

#[wasm_bindgen]
impl Segmenter {
    /// `segmentCrop(imageData, crop, confidence?)` → `{ labels, width, height, crop }`:
    /// segments `crop` (edge-padded where it leaves the image) and pastes the labels
    /// back onto the whole image (background outside the crop). With `confidence`
    /// true, also `confidence`: a `Float32Array` of the seven photo classes'
    /// probabilities as planes of `width*height` back to back, pasted as the labels
    /// are (background 1, the others 0 outside the crop).
    #[wasm_bindgen(js_name = segmentCrop)]
    pub fn segment_crop(
        &self,
        image: &JsValue,
        crop: &JsValue,
        confidence: Option<bool>,
    ) -> Result<Object, JsError> {
        let (rgba, w, h) = read_image(image, None, None)?;
        let c = crop_from_js(crop)?;
        let img = rgb_of(&rgba, w, h);
        let s = frame::segment_framed_with(
            &self.inner,
            &img,
            &c,
            frame::Overhang::default(),
            confidence.unwrap_or(false),
        )
        .map_err(err)?;
        let out = Object::new();
        set(&out, "labels", &Uint8Array::from(&s.labels[..]));
        set(&out, "width", &s.width.into());
        set(&out, "height", &s.height.into());
        set(&out, "crop", &crop_to_js(&s.crop));
        if let Some(p) = &s.confidence {
            set(&out, "confidence", &Float32Array::from(&p[..]));
        }
        Ok(out)
    }
}

/// Steadies the face box across webcam frames (smoothing, and holding the last box
/// for a few frames when the detector misses).
#[wasm_bindgen]
pub struct BoxTracker {
    inner: frame::BoxTracker,
}

impl Default for BoxTracker {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl BoxTracker {
    #[wasm_bindgen(constructor)]
    pub fn new() -> BoxTracker {
        BoxTracker {
            inner: frame::BoxTracker::default(),
        }
    }

    /// Feeds this frame's detection (a box, or `null`/`undefined` when none was
    /// found); returns the box to frame with, or `null`.
    pub fn update(&mut self, detection: &JsValue) -> Result<JsValue, JsError> {
        let d = if detection.is_null() || detection.is_undefined() {
            None
        } else {
            Some(box_from_js(detection)?)
        };
        Ok(self
            .inner
            .update(d.as_ref())
            .map(|b| JsValue::from(box_to_js(&b)))
            .unwrap_or(JsValue::NULL))
    }

    /// The current smoothed box, or `null`.
    pub fn current(&self) -> JsValue {
        self.inner
            .current()
            .map(|b| JsValue::from(box_to_js(&b)))
            .unwrap_or(JsValue::NULL)
    }

    pub fn reset(&mut self) {
        self.inner.reset();
    }
}
