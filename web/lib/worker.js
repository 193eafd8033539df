// faceforest's dedicated module Web Worker: holds the wasm instance, the model and
// (threaded build) the rayon thread pool, so the page's main thread never blocks.
// Messages are handled one at a time, in arrival order; loading happens once.
//
// Protocol (from index.js): { id, panicChannel, type: 'init' | 'segment' | 'colourise' |
//   'detect' | 'checkColour' | 'cropFor' | 'segmentFace' | 'segmentVideoFrame' | 'resetTracking' |
//   'diagnostics' | 'panic', ... }
// Replies: { id, ok: true, result } or { id, ok: false, error: { message, name, panic } }.

// A module with a shared memory and an atomic load: validates only where wasm
// threads are supported (same probe as wasm-feature-detect's `threads`).
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0,
  26, 11,
]);

/** Why the threaded build cannot run here, or null if it can. */
function threadsUnavailable() {
  if (!self.crossOriginIsolated) return 'the page is not cross-origin isolated (needs COOP same-origin + COEP require-corp)';
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable';
  try {
    if (!WebAssembly.validate(THREADS_PROBE)) return 'this browser does not support WebAssembly threads';
  } catch {
    return 'this browser does not support WebAssembly threads';
  }
  return null;
}

import { modelProblem, formatMs, TIME_LIMITS } from './limits.js';

// Literal specifiers so bundlers (Vite) see and emit both builds.
const BUILDS = {
  threads: () => import('./pkg-threads/faceforest_wasm.js'),
  single: () => import('./pkg-single/faceforest_wasm.js'),
};

let ready = null; // memoised load: Promise<{ wasm, seg, info }>
let state = null;

/**
 * Downloads `url`. Gives up when nothing arrives for `timeoutMs` — no answer, or a body
 * that stalls — with a message naming the URL; reports `{ file, url, loaded, total }`
 * to `progress` as bytes arrive (`total` is null when the server does not say).
 */
async function download(url, { file, what, timeoutMs, progress }) {
  const ctrl = new AbortController();
  let timer = 0;
  const arm = () => {
    clearTimeout(timer);
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => ctrl.abort(), timeoutMs);
  };
  const fail = (why) => new Error(`could not fetch ${what} from ${url}: ${why}`);
  arm();
  try {
    let res;
    try {
      res = await fetch(url, { signal: ctrl.signal });
    } catch (e) {
      throw ctrl.signal.aborted ? fail(`no answer within ${formatMs(timeoutMs)} (the fetchTimeoutMs limit)`) : fail(e.message);
    }
    if (!res.ok) throw fail(`HTTP ${res.status} ${res.statusText}`);
    // Content-Length counts encoded bytes; with compression it is only a hint.
    const length = Number(res.headers.get('Content-Length'));
    const total = Number.isFinite(length) && length > 0 && !res.headers.get('Content-Encoding') ? length : null;
    let loaded = 0;
    progress?.({ file, url, loaded, total });
    if (!res.body) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks = [];
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        if (!ctrl.signal.aborted) throw fail(e.message);
        throw fail(`the download stalled: nothing arrived for ${formatMs(timeoutMs)} after ${loaded}${total ? ` of ${total}` : ''} bytes (the fetchTimeoutMs limit)`);
      }
      if (r.done) break;
      arm();
      chunks.push(r.value);
      loaded += r.value.length;
      progress?.({ file, url, loaded, total });
    }
    if (chunks.length === 1) return chunks[0];
    const bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

async function fetchSegmentationModel(url, opts) {
  const bytes = await download(url, { ...opts, file: 'model', what: 'the model' });
  const problem = modelProblem(bytes);
  if (problem) throw new Error(`${url}: ${problem.message}`);
  return bytes;
}

// The wasm files, fetched here (not by wasm-bindgen's init) so that their download
// reports progress and has the fetchTimeoutMs limit. Literal URLs, for bundlers.
const WASM_URLS = {
  threads: () => new URL('./pkg-threads/faceforest_wasm_bg.wasm', import.meta.url).href,
  single: () => new URL('./pkg-single/faceforest_wasm_bg.wasm', import.meta.url).href,
};

function fetchWasm(build, opts) {
  return download(WASM_URLS[build](), { ...opts, file: 'wasm', what: `the ${build === 'threads' ? 'threaded' : 'single-threaded'} wasm build` });
}

async function loadBuild(build, numThreads, bytes) {
  const wasm = await BUILDS[build]();
  await wasm.default({ module_or_path: bytes });
  if (build === 'threads') await wasm.initThreadPool(numThreads);
  return wasm;
}

/** `promise`, or a rejection with `message()` once `ms` have passed without it settling. */
function within(promise, ms, message) {
  if (!Number.isFinite(ms)) return promise;
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(message()), { timedOut: true })), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function load(
  {
    modelUrl,
    modelBytes,
    detectorUrl,
    detectorBytes,
    threads = 'auto',
    numThreads,
    panicChannel,
    fetchTimeoutMs = TIME_LIMITS.fetchTimeoutMs,
    threadPoolTimeoutMs = TIME_LIMITS.threadPoolTimeoutMs,
  },
  progress,
) {
  if (!['auto', 'single', 'multi'].includes(threads)) {
    throw new Error(`threads must be 'auto', 'single' or 'multi', not ${JSON.stringify(threads)}`);
  }
  const fetchOpts = { timeoutMs: fetchTimeoutMs, progress };
  const modelPromise = modelBytes ? Promise.resolve(new Uint8Array(modelBytes)) : fetchSegmentationModel(modelUrl, fetchOpts);
  modelPromise.catch(() => {}); // reported below, after the build is chosen
  // The face detector is optional: without it (or if it fails to load) segmenting
  // still works and `info.detector` says why face framing is unavailable.
  const detectorPromise = detectorBytes
    ? Promise.resolve(new Uint8Array(detectorBytes))
    : detectorUrl
      ? download(detectorUrl, { ...fetchOpts, file: 'detector', what: 'the face detector model' })
      : null;
  detectorPromise?.catch(() => {});
  const why = threadsUnavailable();
  if (threads === 'multi' && why) throw new Error(`threads: 'multi' was asked for but ${why}`);
  const n = Math.max(1, numThreads || self.navigator?.hardwareConcurrency || 1);
  let build = threads === 'single' || why ? 'single' : 'threads';
  let fallback = threads === 'single' ? null : why;
  let wasm;
  if (build === 'threads') {
    // The pool's start can hang (e.g. a bundler's dev server that never serves a pool
    // thread's script): past the limit, 'auto' goes on single-threaded. The threaded
    // instance, if it ever starts, is left unused; dispose() ends its threads.
    try {
      // The download is not part of the start-up limit (a slow network is not a stuck pool).
      const bytes = await fetchWasm(build, fetchOpts);
      wasm = await within(loadBuild(build, n, bytes), threadPoolTimeoutMs, () => `the thread pool did not start within ${formatMs(threadPoolTimeoutMs)} (the threadPoolTimeoutMs limit)`);
    } catch (e) {
      if (threads === 'multi') throw new Error(`threads: 'multi' was asked for but ${e.timedOut ? e.message : `the threaded build failed to start: ${e.message}`}`);
      // e.g. a browser that validates shared memory but cannot start the pool.
      fallback = e.timedOut ? e.message : `the threaded build failed to start: ${e.message}`;
      build = 'single';
    }
  }
  wasm ??= await loadBuild(build, n, await fetchWasm(build, fetchOpts));
  // Panics on any thread are also announced to index.js (a pool thread cannot throw to it).
  if (panicChannel) wasm.setPanicChannel(panicChannel);
  const seg = new wasm.Segmenter(await modelPromise);
  let detector = null;
  let detectorInfo = { available: false, error: 'no face detector model was given (detectorUrl)' };
  if (detectorPromise) {
    try {
      detector = new wasm.FaceDetector(await detectorPromise);
      detectorInfo = { available: true, error: null };
    } catch (e) {
      detectorInfo = { available: false, error: e?.message ?? String(e) };
    }
  }
  const info = {
    build,
    threads: wasm.threads(),
    // The core's last class, padding, is only the model's frame: it never appears in results.
    classes: seg.classes().filter((c) => c.name !== 'padding'),
    size: seg.size,
    trees: seg.trees,
    nodes: seg.nodes,
    crossOriginIsolated: !!self.crossOriginIsolated,
    fallbackReason: fallback,
    detector: detectorInfo,
    cropAspect: wasm.cropAspect(),
    limits: wasm.limits(),
  };
  return { wasm, seg, detector, info, tracker: new wasm.BoxTracker(), frames: 0 };
}

const handlers = {
  async init(msg) {
    ready ??= load(msg, (p) => self.postMessage({ id: msg.id, progress: p }));
    state = await ready;
    return { result: state.info };
  },
  async segment({ data, width, height, probabilities }) {
    const { seg, info } = state ?? (await ready);
    const t0 = performance.now();
    const r = probabilities ? seg.segmentProbabilities(data, width, height) : seg.segment(data, width, height);
    const ms = performance.now() - t0;
    const result = { labels: r.labels, width: r.width, height: r.height, ms };
    const transfer = [r.labels.buffer];
    if (probabilities) {
      result.probabilities = r.probabilities;
      result.confidence = planesByClass(r.confidence, info.classes, r.width * r.height);
      transfer.push(r.probabilities.buffer, r.confidence.buffer);
    }
    return { result, transfer };
  },
  async colourise({ labels, opacity, hidden }) {
    const { seg } = state ?? (await ready);
    const rgba = seg.colourise(labels, opacity, hidden);
    return { result: rgba, transfer: [rgba.buffer] };
  },
  async detect({ data, width, height, options }) {
    const st = state ?? (await ready);
    const detector = needDetector(st);
    const t0 = performance.now();
    const faces = detector.detect({ data, width, height }, options ?? {});
    return { result: { faces, width, height, ms: performance.now() - t0 } };
  },
  async checkColour({ data, width, height }) {
    const { wasm } = state ?? (await ready);
    wasm.checkColour({ data, width, height });
    return { result: null };
  },
  async cropFor({ box, width, height }) {
    const { wasm } = state ?? (await ready);
    return { result: wasm.cropFor(box, width, height) };
  },
  async segmentFace({ data, width, height, box, crop, probabilities }) {
    const { wasm, seg, info } = state ?? (await ready);
    const c = crop ?? wasm.cropFor(box, width, height);
    const t0 = performance.now();
    const r = seg.segmentCrop({ data, width, height }, c, !!probabilities);
    const ms = performance.now() - t0;
    const result = { labels: r.labels, width, height, crop: r.crop, box: box ?? null, ms };
    return { result, transfer: withConfidence(result, r, info, width * height) };
  },
  // Live video: detection every `detectEvery` frames (fast settings), the box
  // smoothed by the frame crate's BoxTracker, then the face crop segmented. Without
  // a face (yet) the whole frame is segmented as it is.
  async segmentVideoFrame({ data, width, height, detectEvery = 5, detectOptions, probabilities }) {
    const st = state ?? (await ready);
    const { wasm, seg } = st;
    let detectMs = null;
    let detected = null;
    if (st.detector && (st.frames % Math.max(1, detectEvery) === 0 || !st.tracker.current())) {
      const t0 = performance.now();
      const faces = st.detector.detect({ data, width, height }, { fast: true, ...(detectOptions ?? {}) });
      detectMs = performance.now() - t0;
      detected = faces[0] ?? null;
      st.tracker.update(detected);
    }
    st.frames++;
    const box = st.tracker.current();
    const t1 = performance.now();
    let r;
    let crop = null;
    if (box) {
      crop = wasm.cropFor(box, width, height);
      r = seg.segmentCrop({ data, width, height }, crop, !!probabilities);
    } else {
      r = probabilities ? seg.segmentProbabilities(data, width, height) : seg.segment(data, width, height);
    }
    const segmentMs = performance.now() - t1;
    const result = { labels: r.labels, width, height, box, crop, detected: detectMs !== null, detectMs, segmentMs, ms: segmentMs + (detectMs ?? 0) };
    return { result, transfer: withConfidence(result, r, st.info, width * height) };
  },
  async resetTracking() {
    const st = state ?? (await ready);
    st.tracker.reset();
    st.frames = 0;
    return { result: null };
  },
  async diagnostics() {
    const { wasm, info } = state ?? (await ready);
    return { result: { wasmMemoryBytes: wasm.memoryBytes(), build: info.build, threads: info.threads } };
  },
  async panic({ message, inPool }) {
    // Test hook: checks that a Rust panic reaches the caller with its message.
    const { wasm } = state ?? (await ready);
    wasm._testPanic(message, !!inPool);
  },
};

/**
 * The wasm's confidence planes (one Float32Array: the photo classes' planes of
 * `pixels` values back to back, in class order) as `{ background, skin, ... }`:
 * views of that one buffer, which is transferred, not copied.
 */
function planesByClass(flat, classes, pixels) {
  if (flat.length !== classes.length * pixels) {
    throw new Error(`faceforest: ${flat.length} confidence values for ${classes.length} classes of ${pixels} pixels`);
  }
  const out = {};
  classes.forEach((c, k) => {
    out[c.name] = flat.subarray(k * pixels, (k + 1) * pixels);
  });
  return out;
}

/** Adds `confidence` to `result` when the wasm gave planes; the buffers to transfer. */
function withConfidence(result, r, info, pixels) {
  const transfer = [r.labels.buffer];
  if (r.confidence) {
    result.confidence = planesByClass(r.confidence, info.classes, pixels);
    transfer.push(r.confidence.buffer);
  }
  return transfer;
}

function needDetector(st) {
  if (!st.detector) throw new Error(`face detection is unavailable: ${st.info.detector.error}`);
  return st.detector;
}

let queue = Promise.resolve();
self.onmessage = ({ data: msg }) => {
  queue = queue.then(async () => {
    const handler = handlers[msg.type];
    try {
      if (!handler) throw new Error(`unknown request ${msg.type}`);
      if (msg.type !== 'init' && !ready) throw new Error('the segmenter is not initialised');
      const { result, transfer = [] } = await handler(msg);
      self.postMessage({ id: msg.id, ok: true, result }, transfer);
    } catch (e) {
      let message = e instanceof Error ? e.message : String(e);
      const panic = /faceforest panicked/.test(message) || e instanceof WebAssembly.RuntimeError;
      if (e instanceof WebAssembly.RuntimeError) {
        // An abort without a panic message: in practice a failed allocation.
        const cap = state?.info.build === 'threads' ? '1 GiB in the threaded build' : '4 GiB';
        message = `faceforest crashed (${message}), most likely out of memory: wasm memory is limited to ${cap}; try a smaller image`;
      }
      self.postMessage({ id: msg.id, ok: false, error: { message, name: e?.name ?? 'Error', panic } });
      if (panic) {
        // The instance's state is unknown after a panic: refuse further work.
        // index.js starts a fresh worker for the next call.
        self.close();
      }
    }
  });
};
