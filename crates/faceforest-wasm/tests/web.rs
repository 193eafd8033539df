//! The bindings and the core running inside Chromium (wasm-bindgen-test):
//!
//!     CHROMEDRIVER=/usr/bin/chromedriver \
//!     CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test -p faceforest-wasm --target wasm32-unknown-unknown
//!
//! (webdriver.json next to Cargo.toml points chromedriver at /usr/bin/chromium.)
#![cfg(target_arch = "wasm32")]

use faceforest::forest::train::ForestParams;
use faceforest::pipeline::{train_model, Photo, TrainOptions};
use faceforest::prep::labels::LabelMap;
use faceforest_wasm::Segmenter;
use image::RgbImage;
use js_sys::{Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A face-ish photo: a skin ellipse, a hair band on top, a dark mouth, background.
fn synthetic_photo(w: u32, h: u32, seed: u32) -> Photo {
    let mut x = seed.max(1);
    let mut photo = RgbImage::new(w, h);
    let mut labels = vec![0u8; (w * h) as usize];
    for j in 0..h {
        for i in 0..w {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let n = (x & 15) as i32 - 8;
            let (dx, dy) = (i as f32 / w as f32 - 0.5, j as f32 / h as f32 - 0.5);
            let inside = dx * dx / 0.12 + dy * dy / 0.18 < 1.0;
            let (class, rgb) = if inside && dy < -0.25 {
                (2, [60, 40, 20])
            } else if inside && dy > 0.18 && dx.abs() < 0.12 {
                (6, [150, 50, 60])
            } else if inside {
                (1, [220, 170, 140])
            } else {
                (0, [40, 90, 160])
            };
            let c = |v: i32| (v + n).clamp(0, 255) as u8;
            photo.put_pixel(i, j, image::Rgb([c(rgb[0]), c(rgb[1]), c(rgb[2])]));
            labels[(j * w + i) as usize] = class;
        }
    }
    Photo {
        name: format!("synthetic-{seed}"),
        photo,
        labels: LabelMap {
            width: w,
            height: h,
            data: labels,
        },
        weight: 1.0,
    }
}

fn tiny_model_bytes() -> Vec<u8> {
    let photos: Vec<Photo> = (1..=3)
        .map(|s| synthetic_photo(40 + 4 * s, 48, s))
        .collect();
    let opts = TrainOptions {
        size: 32,
        forest: ForestParams {
            n_trees: 3,
            max_leaves: Some(64),
            ..Default::default()
        },
        ..Default::default()
    };
    let (model, _) =
        train_model(&photos, &opts, &|| {}).expect("training a tiny model in the browser");
    model.to_bytes()
}

fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    Reflect::get(&v, &"message".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn rgba_of(p: &Photo) -> Vec<u8> {
    p.photo
        .pixels()
        .flat_map(|px| [px[0], px[1], px[2], 255])
        .collect()
}

#[wasm_bindgen_test]
fn bad_model_bytes_give_the_core_message() {
    let e = Segmenter::new(b"definitely not a model")
        .err()
        .expect("garbage must be refused");
    assert!(message(e).contains("not a faceforest model"));
}

#[wasm_bindgen_test]
fn train_in_browser_then_segment_through_the_bindings() {
    let bytes = tiny_model_bytes();
    let seg = Segmenter::new(&bytes).expect("own model loads");
    assert_eq!(seg.size(), 32);
    assert_eq!(seg.trees(), 3);
    assert!(seg.nodes() >= 3);
    assert_eq!(faceforest_wasm::threads(), 1);
    assert_eq!(faceforest_wasm::build(), "single");

    let photo = synthetic_photo(50, 60, 9);
    let rgba = rgba_of(&photo);
    let data = Uint8ClampedArray::from(&rgba[..]);
    let out = seg.segment(&data, Some(50), Some(60)).expect("segments");
    let labels = Uint8Array::new(&Reflect::get(&out, &"labels".into()).unwrap()).to_vec();
    assert_eq!(
        Reflect::get(&out, &"width".into()).unwrap().as_f64(),
        Some(50.0)
    );
    assert_eq!(labels.len(), 50 * 60);
    // The bindings return exactly what the core computes.
    let core = faceforest::Segmenter::from_bytes(&bytes).unwrap();
    let want = core.segment_rgba(&rgba, 50, 60, false).unwrap().labels;
    assert_eq!(labels, want);
    // Such a clean synthetic face is mostly labelled right even by three small trees.
    let right = labels
        .iter()
        .zip(&photo.labels.data)
        .filter(|(a, b)| a == b)
        .count();
    assert!(
        right * 10 > labels.len() * 8,
        "{right} of {} right",
        labels.len()
    );

    // Probabilities: 7 per pixel, summing to 1.
    let out = seg
        .segment_probabilities(&data, Some(50), Some(60))
        .unwrap();
    let p =
        js_sys::Float32Array::new(&Reflect::get(&out, &"probabilities".into()).unwrap()).to_vec();
    assert_eq!(p.len(), 50 * 60 * 7);
    assert!(p
        .chunks(7)
        .all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-3));
}

#[wasm_bindgen_test]
fn image_buffers_are_checked_at_the_boundary() {
    let seg = Segmenter::new(&tiny_model_bytes()).unwrap();
    let short = Uint8ClampedArray::new_with_length(10);
    let e = seg.segment(&short, Some(4), Some(4)).err().unwrap();
    assert_eq!(
        message(e),
        "invalid image: data holds 10 bytes but 4×4 RGBA needs 64"
    );
    let e = seg.segment(&short, None, None).err().unwrap();
    assert!(message(e).contains("needs the width and height"));
    let e = seg.segment(&JsValue::from(3), None, None).err().unwrap();
    assert!(message(e).starts_with("invalid image"));
}

#[wasm_bindgen_test]
fn colourise_and_classes() {
    let seg = Segmenter::new(&tiny_model_bytes()).unwrap();
    assert_eq!(seg.classes().length(), 8);
    let hidden = js_sys::Array::of3(&false.into(), &true.into(), &false.into());
    let rgba = seg.colourise(&[0, 1, 2], 1.0, Some(hidden)).to_vec();
    assert_eq!(rgba, vec![255, 0, 0, 255, 0, 0, 0, 0, 127, 0, 0, 255]);
}

#[wasm_bindgen_test]
fn zero_sizes_and_wrong_lengths_are_refused_by_the_bindings() {
    let seg = Segmenter::new(&tiny_model_bytes()).unwrap();
    let empty = Uint8ClampedArray::new_with_length(0);
    let e = seg.segment(&empty, Some(0), Some(0)).err().unwrap();
    assert_eq!(
        message(e),
        "invalid image: the image is 0×0; it must be at least 16×16 pixels"
    );
    let img = js_sys::Object::new();
    Reflect::set(
        &img,
        &"data".into(),
        &Uint8ClampedArray::new_with_length(4 * 64 * 48 - 4),
    )
    .unwrap();
    Reflect::set(&img, &"width".into(), &64.into()).unwrap();
    Reflect::set(&img, &"height".into(), &48.into()).unwrap();
    let e = seg.segment(&img, None, None).err().unwrap();
    assert_eq!(
        message(e),
        "invalid image: data holds 12284 bytes but 64×48 RGBA needs 12288"
    );
    let one = Uint8ClampedArray::new_with_length(4);
    let e = seg.segment(&one, Some(1), Some(1)).err().unwrap();
    assert_eq!(
        message(e),
        "invalid image: the image is 1×1; it must be at least 16×16 pixels"
    );
}

#[wasm_bindgen_test]
fn mismatched_models_are_refused_by_the_bindings() {
    let bytes = tiny_model_bytes();
    let mut newer = bytes.clone();
    newer[8] = faceforest::model::FORMAT_VERSION as u8 + 1;
    let e = Segmenter::new(&newer).err().unwrap();
    assert_eq!(
        message(e),
        format!(
            "model format version {} is newer than this build understands (up to {}); update faceforest",
            faceforest::model::FORMAT_VERSION + 1,
            faceforest::model::FORMAT_VERSION
        )
    );
    let mut m = faceforest::Model::from_bytes(&bytes).unwrap();
    m.features.context.push(25);
    let e = Segmenter::new(&m.to_bytes()).err().unwrap();
    assert!(message(e).starts_with(
        "model does not match this build of faceforest: its feature configuration gives"
    ),);
    let e = Segmenter::new(&bytes[..bytes.len() / 2]).err().unwrap();
    assert!(message(e).starts_with("model file is truncated or corrupt: "));
}

#[wasm_bindgen_test]
fn limits_are_the_core_limits() {
    let l = faceforest_wasm::limits();
    let get = |k: &str| Reflect::get(&l, &k.into()).unwrap().as_f64().unwrap();
    assert_eq!(get("maxPixels"), faceforest::limits::MAX_PIXELS as f64);
    assert_eq!(get("minSide"), 16.0);
    assert_eq!(get("maxSide"), 32768.0);
    assert!(faceforest_wasm::memory_bytes() > 0.0);
}
