//! Browser bindings for faceforest. Everything here converts between JS values and
//! the core's types; the work itself is [`faceforest::Segmenter`].
//!
//! One source, two builds (see `scripts/build-wasm.sh`): the threaded build enables
//! the `parallel` feature (rayon in the core, `initThreadPool` exported from
//! wasm-bindgen-rayon) and needs nightly atomics flags; the single-threaded build is
//! plain stable wasm.

// Threaded (nightly) build: a failed allocation panics, so it reaches JS through the
// panic hook with its size, from whichever thread it happened on.
#![cfg_attr(feature = "parallel", feature(alloc_error_hook))]

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[cfg(feature = "parallel")]
pub use wasm_bindgen_rayon::init_thread_pool;

// Face framing (faceforest-frame): FaceDetector, cropFor, pasteLabels,
// Segmenter.segmentCrop, BoxTracker.
mod frame;
pub use frame::{BoxTracker, FaceDetector};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Name of the BroadcastChannel on which a panic is announced (set by worker.js).
/// A panic on a rayon pool thread cannot throw to the caller, which waits for the
/// pool forever; the page hears of it here and restarts the worker.
static PANIC_CHANNEL: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Where panics are announced, in addition to being thrown (see `PANIC_CHANNEL`).
#[wasm_bindgen(js_name = setPanicChannel)]
pub fn set_panic_channel(name: &str) {
    if let Ok(mut c) = PANIC_CHANNEL.lock() {
        *c = Some(name.to_string());
    }
}

fn announce_panic(msg: &str) {
    let name = match PANIC_CHANNEL.try_lock() {
        Ok(c) => c.clone(),
        Err(_) => None,
    };
    if let Some(name) = name {
        if let Ok(ch) = web_sys::BroadcastChannel::new(&name) {
            let _ = ch.post_message(&JsValue::from_str(msg));
            ch.close();
        }
    }
}

/// Installs the panic hook: the message goes to `console.error` (with a stack) and
/// is thrown to the JS caller as an `Error("faceforest panicked at …: message")` instead of a
/// bare `RuntimeError: unreachable`. The instance must not be used after a panic.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let payload = info
            .payload_as_str()
            .unwrap_or("(non-string panic payload)");
        let msg = match info.location() {
            Some(l) => format!(
                "faceforest panicked at {}:{}: {payload}",
                l.file(),
                l.line()
            ),
            None => format!("faceforest panicked: {payload}"),
        };
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg.clone()));
        announce_panic(&msg);
        wasm_bindgen::throw_str(&msg);
    }));
    #[cfg(feature = "parallel")]
    std::alloc::set_alloc_error_hook(|layout| {
        panic!(
            "out of memory: an allocation of {} MB failed (wasm memory is limited to {} MB in the threaded build); try a smaller image",
            layout.size() >> 20,
            MAX_MEMORY_BYTES >> 20
        )
    });
}

/// The threaded build's `--max-memory` (scripts/build-wasm.sh); the single-threaded
/// build may grow to 4 GiB.
pub const MAX_MEMORY_BYTES: u64 = if cfg!(feature = "parallel") {
    1 << 30
} else {
    4 << 30
};

/// Bytes of wasm memory in use by this instance (it only grows); for long-session
/// checks (`diagnostics()` in the JS package).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) * 65536) as f64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// The input limits of the core (`faceforest::limits`), which `web/lib/limits.js`
/// mirrors: `{ maxPixels, maxSide, minSide, formats: ['PNG', ...], mimes: [...] }`.
#[wasm_bindgen]
pub fn limits() -> Object {
    use faceforest::limits as l;
    let o = Object::new();
    set(&o, "maxPixels", &(l::MAX_PIXELS as f64).into());
    set(&o, "maxSide", &l::MAX_SIDE.into());
    set(&o, "minSide", &l::MIN_SIDE.into());
    let names: Array = l::FORMATS
        .iter()
        .map(|f| JsValue::from_str(f.name()))
        .collect();
    let mimes: Array = l::FORMATS
        .iter()
        .map(|f| JsValue::from_str(f.mime()))
        .collect();
    set(&o, "formats", &names);
    set(&o, "mimes", &mimes);
    set(&o, "maxMemoryBytes", &(MAX_MEMORY_BYTES as f64).into());
    set(
        &o,
        "modelFormat",
        &JsValue::from_str(&format!(
            "{} {}–{}",
            std::str::from_utf8(faceforest::model::MAGIC).unwrap_or("?"),
            faceforest::model::OLDEST_SUPPORTED_VERSION,
            faceforest::model::FORMAT_VERSION
        )),
    );
    o
}

/// The message of the last panic on this thread, if any (the instance is then
/// unusable; create a new one).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// Worker threads the core uses (1 in the single-threaded build, or before
/// `initThreadPool`).
#[wasm_bindgen]
pub fn threads() -> usize {
    faceforest::par::threads()
}

/// `"threads"` or `"single"`: which of the two builds this module is.
#[wasm_bindgen]
pub fn build() -> String {
    if cfg!(feature = "parallel") {
        "threads"
    } else {
        "single"
    }
    .into()
}

/// Panics on purpose so tests can check that panics reach JS with their message;
/// `in_pool` panics inside a parallel loop instead (on a pool thread in the threaded
/// build, where the caller cannot be thrown to).
#[doc(hidden)]
#[wasm_bindgen(js_name = _testPanic)]
pub fn test_panic(message: &str, in_pool: Option<bool>) {
    if in_pool.unwrap_or(false) {
        faceforest::par::map_range(64, |i| {
            if i == 37 {
                panic!("{message}");
            }
            i
        });
    }
    panic!("{message}");
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    Reflect::set(obj, &JsValue::from_str(key), value)
        .expect("setting a property on a plain object");
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn dim(v: &JsValue, what: &str) -> Result<u32, JsError> {
    match v.as_f64() {
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64 => Ok(x as u32),
        _ => Err(JsError::new(&format!(
            "invalid image: {what} must be a non-negative integer"
        ))),
    }
}

/// `checkColour(imageData)`: throws the core's message when the photo is grayscale
/// (the model was trained on colour photos and finds no skin or face parts in a gray
/// one: `limits::check_colour`); returns nothing for a colour photo.
#[wasm_bindgen(js_name = checkColour)]
pub fn check_colour(image: &JsValue) -> Result<(), JsError> {
    let (rgba, _, _) = read_image(image, None, None)?;
    faceforest::limits::check_colour(&rgba, 4).map_err(err)
}

/// RGBA bytes, width and height from an `ImageData` (or any `{data, width, height}`
/// object) or from `(data, width, height)`; the buffer length is checked here.
fn read_image(
    image: &JsValue,
    width: Option<u32>,
    height: Option<u32>,
) -> Result<(Vec<u8>, u32, u32), JsError> {
    let (data, w, h) = if image.is_instance_of::<Uint8Array>()
        || image.is_instance_of::<Uint8ClampedArray>()
    {
        match (width, height) {
            (Some(w), Some(h)) => (image.clone(), w, h),
            _ => {
                return Err(JsError::new(
                    "invalid image: segment(data, width, height) needs the width and height",
                ))
            }
        }
    } else if image.is_object() {
        let data = get(image, "data");
        (
            data,
            dim(&get(image, "width"), "width")?,
            dim(&get(image, "height"), "height")?,
        )
    } else {
        return Err(JsError::new("invalid image: expected an ImageData, {data, width, height} or (Uint8Array, width, height)"));
    };
    // Length and size are checked before anything is copied into wasm memory.
    let bytes = if data.is_instance_of::<Uint8ClampedArray>() {
        let a = data.unchecked_into::<Uint8ClampedArray>();
        faceforest::limits::check_rgba(a.length() as usize, w, h).map_err(err)?;
        a.to_vec()
    } else if data.is_instance_of::<Uint8Array>() {
        let a = data.unchecked_into::<Uint8Array>();
        faceforest::limits::check_rgba(a.length() as usize, w, h).map_err(err)?;
        a.to_vec()
    } else {
        return Err(JsError::new(
            "invalid image: data must be a Uint8ClampedArray or Uint8Array of RGBA bytes",
        ));
    };
    Ok((bytes, w, h))
}

/// A loaded model. Results are fresh JS arrays (copies), never views of wasm memory.
#[wasm_bindgen]
pub struct Segmenter {
    inner: faceforest::Segmenter,
}

#[wasm_bindgen]
impl Segmenter {
    /// Loads a model from its bytes; throws the core's message if they are not a
    /// valid faceforest model.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<Segmenter, JsError> {
        Ok(Segmenter {
            inner: faceforest::Segmenter::from_bytes(model).map_err(err)?,
        })
    }

    /// `segment(imageData)` or `segment(rgba, width, height)` →
    /// `{ labels: Uint8Array, width, height }` (a class id per pixel, row-major).
    pub fn segment(
        &self,
        image: &JsValue,
        width: Option<u32>,
        height: Option<u32>,
    ) -> Result<Object, JsError> {
        self.run(image, width, height, false)
    }

    /// As `segment`, plus `probabilities`: a `Float32Array` of `width*height` rows
    /// of the seven photo classes, and the same as planes in `confidence` (seven
    /// planes of `width*height` back to back, the layout of `segmentCrop`'s).
    #[wasm_bindgen(js_name = segmentProbabilities)]
    pub fn segment_probabilities(
        &self,
        image: &JsValue,
        width: Option<u32>,
        height: Option<u32>,
    ) -> Result<Object, JsError> {
        self.run(image, width, height, true)
    }

    fn run(
        &self,
        image: &JsValue,
        width: Option<u32>,
        height: Option<u32>,
        probs: bool,
    ) -> Result<Object, JsError> {
        let (rgba, w, h) = read_image(image, width, height)?;
        let s = self.inner.segment_rgba(&rgba, w, h, probs).map_err(err)?;
        let out = Object::new();
        set(&out, "labels", &Uint8Array::from(&s.labels[..]));
        set(&out, "width", &s.width.into());
        set(&out, "height", &s.height.into());
        if let Some(p) = &s.probabilities {
            set(&out, "probabilities", &Float32Array::from(&p[..]));
            let planes =
                faceforest_frame::probability_planes(p, faceforest::classes::NUM_PHOTO_CLASSES)
                    .map_err(err)?;
            set(&out, "confidence", &Float32Array::from(&planes[..]));
        }
        Ok(out)
    }

    /// `[{ id, name, colour: [r, g, b] }]` for every class the model knows (the last,
    /// `padding`, never appears in results).
    pub fn classes(&self) -> Array {
        self.inner
            .classes()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let o = Object::new();
                set(&o, "id", &(i as u32).into());
                set(&o, "name", &JsValue::from_str(&c.name));
                let colour: Array = c.colour.iter().map(|&v| JsValue::from(v)).collect();
                set(&o, "colour", &colour);
                JsValue::from(o)
            })
            .collect()
    }

    /// RGBA overlay (`Uint8ClampedArray`, ready for `new ImageData`) of a label map:
    /// each class in its colour at `opacity` (0–1); `hidden[i]` truthy makes class
    /// `i` transparent.
    pub fn colourise(
        &self,
        labels: &[u8],
        opacity: f32,
        hidden: Option<Array>,
    ) -> Uint8ClampedArray {
        let hidden: Vec<bool> = hidden
            .map(|a| a.iter().map(|v| v.is_truthy()).collect())
            .unwrap_or_default();
        let rgba = faceforest::colourise(labels, self.inner.classes(), opacity, &hidden);
        Uint8ClampedArray::from(&rgba[..])
    }

    /// Side of the square the model works in.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.inner.model().size
    }

    #[wasm_bindgen(getter)]
    pub fn trees(&self) -> usize {
        self.inner.model().n_trees()
    }

    #[wasm_bindgen(getter)]
    pub fn nodes(&self) -> usize {
        self.inner.model().n_nodes()
    }
}
