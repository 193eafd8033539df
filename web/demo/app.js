// faceforest demo: photo (file, drop, paste, sample) or live webcam → face framing →
// per-pixel labels, drawn over the picture. All the work happens in faceforest's
// Web Worker (web/lib); this file is UI only.
//
// Paths are relative to this page; scripts/build-site.sh rewrites the `../lib/` and
// `../models/` prefixes for the flat dist/ layout.
import { encodeIndexedPng } from './png.js';

const LIB_URL = '../lib/index.js';
const MODEL_URL = '../models/faceforest.model';
const DETECTOR_URL = '../models/face_detection_short_range.tflite'; // BlazeFace (Apache-2.0)
const SAMPLE_URL = 'assets/astronaut.png';

const MAX_WORK_SIDE = 2048; // photos are worked on at most this large...
const MAX_SHOWN_SIDE = 4096; // ...and shown (and exported) at full size up to this
const DETECT_EVERY = 5; // webcam: re-detect the face every N frames
const CLASS_LABELS = { background: 'Background', skin: 'Skin', hair: 'Hair', left_eye: 'Left eye', right_eye: 'Right eye', nose: 'Nose', mouth: 'Mouth' };

const $ = (id) => document.getElementById(id);
const el = {
  status: $('status'), alert: $('alert'), result: $('result'), file: $('file'), sample: $('sample'), dropzone: $('dropzone'),
  camStart: $('cam-start'), camStop: $('cam-stop'), mirror: $('mirror'), camPicker: $('cam-picker'), camPickerRow: $('cam-picker-row'),
  fileLabel: $('file-label'), load: $('load'), loadBar: $('load-bar'), loadText: $('load-text'),
  camStats: $('cam-stats'), video: $('video'), opacity: $('opacity'), opacityValue: $('opacity-value'), legend: $('legend'),
  faces: $('faces'), noface: $('noface'), whole: $('whole'), manualCrop: $('manual-crop'), wholeAgain: $('whole-again'), manualAgain: $('manual-again'),
  panes: $('panes'), stage: $('stage'), maskStage: $('mask-stage'), photo: $('photo'), overlay: $('overlay'), mask: $('mask'),
  boxes: $('boxes'), zoom: $('zoom'), zoomRow: $('zoom-row'), caption: $('photo-caption'), dlMask: $('dl-mask'), dlOverlay: $('dl-overlay'), perf: $('perf'),
};

// ---- state --------------------------------------------------------------------
const st = {
  seg: null,
  info: null,
  classes: [], // photo classes (padding excluded): { id, name, colour }
  hidden: new Set(['background']), // the overlay shows the face classes by default
  opacity: 0.55,
  view: 'blend',
  source: null, // 'photo' | 'webcam'
  photo: null, // { name, fullW, fullH, shownW, shownH, workW, workH, work: ImageData, shown: canvas }
  faces: [], // detected boxes, work pixels
  selected: -1,
  mode: 'face', // 'face' | 'whole' | 'manual'
  result: null, // { labels, width, height, crop, ms }
  busy: 0,
  token: 0, // increases with each new picture; stale results are dropped
  cam: null, // { stream, running, deviceId }
};

// Test and debugging hook (read-only use).
window.faceforestDemo = st;

function setState(s) {
  document.body.dataset.state = s;
}
function status(msg) {
  el.status.textContent = msg;
}
function showError(msg, { keepResult = true } = {}) {
  el.alert.textContent = msg;
  el.alert.hidden = false;
  setState('error');
  if (!keepResult) el.result.hidden = true;
}
function clearError() {
  el.alert.hidden = true;
  el.alert.textContent = '';
}
window.addEventListener('error', (e) => showError(`Something went wrong: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showError(`Something went wrong: ${e.reason?.message ?? e.reason}`));

// ---- start-up -------------------------------------------------------------------
async function waitForIsolation() {
  // coi-serviceworker reloads the page once its worker is active. Until then the
  // page is not cross-origin isolated; give it a moment rather than starting the
  // single-threaded build only to be reloaded.
  if (window.crossOriginIsolated || !window.isSecureContext || !navigator.serviceWorker) return;
  if (navigator.serviceWorker.controller) return; // controlled but not isolated: it will not get better
  status('Preparing threads (the page may reload once)…');
  await new Promise((resolve) => setTimeout(resolve, 4000));
}

/** The photo and camera controls: disabled (and looking it) until the segmenter is ready. */
function enableSources(on) {
  for (const b of [el.sample, el.camStart, el.file]) b.disabled = !on;
  el.fileLabel.setAttribute('aria-disabled', String(!on));
}

const MB = (n) => (n / 1e6).toFixed(1);
/**
 * Download progress of the wasm, the model and the face detector (the package's
 * onProgress), summed: `1.2 of 3.1 MB (39%)` once all three have answered with their
 * sizes, bytes only before that or where a server does not say.
 */
const DOWNLOADS = ['wasm', 'model', 'detector'];
function loadingProgress() {
  const files = new Map();
  el.loadBar.removeAttribute('value'); // indeterminate until the sizes are known
  el.loadText.textContent = '';
  el.load.hidden = false;
  return (p) => {
    files.set(p.file, p);
    let loaded = 0;
    let total = 0;
    for (const f of files.values()) {
      loaded += f.loaded;
      total += Math.max(f.total ?? 0, f.loaded);
    }
    const known = DOWNLOADS.every((name) => files.get(name)?.total != null) && total > 0;
    const percent = known ? Math.min(100, Math.floor((100 * loaded) / total)) : null;
    if (known) {
      el.loadBar.value = percent;
      el.loadText.textContent = `${MB(loaded)} of ${MB(total)} MB (${percent}%)`;
    } else {
      el.loadText.textContent = `${MB(loaded)} MB`;
    }
    st.loadProgress = { loaded, total: known ? total : null, percent };
  };
}

async function init() {
  setState('loading');
  enableSources(false);
  await waitForIsolation();
  status('Loading the segmenter: WebAssembly, the model and the face detector…');
  let lib;
  try {
    lib = await import(LIB_URL);
    st.lib = lib;
  } catch (e) {
    showError(`The segmenter could not be loaded (${e.message}). Try reloading the page.`);
    return;
  }
  try {
    st.seg = await lib.createSegmenter({ modelUrl: MODEL_URL, detectorUrl: DETECTOR_URL, onProgress: loadingProgress() });
  } catch (e) {
    el.load.hidden = true;
    showError(
      typeof WebAssembly === 'undefined'
        ? 'This demo needs a browser with WebAssembly.'
        : `The segmenter could not start: ${e.message}. Try reloading the page.`,
    );
    return;
  }
  st.info = st.seg.info;
  st.classes = st.info.classes.filter((c) => c.name !== 'padding');
  buildLegend();
  const why = st.info.fallbackReason ? ` — single-threaded because ${st.info.fallbackReason}` : '';
  el.perf.textContent = `${st.info.build} build · ${st.info.threads} thread${st.info.threads === 1 ? '' : 's'}${why}`;
  el.perf.title = `model: ${st.info.trees} trees, ${st.info.nodes} nodes, ${st.info.size}px`;
  el.load.hidden = true;
  enableSources(true);
  if (!st.info.detector.available) {
    status(`Ready. (Face detection is unavailable: ${st.info.detector.error}; pictures are segmented whole.)`);
  } else {
    status('Ready. Choose a photo, try the sample portrait, or start your camera.');
  }
  setState('ready');
  const q = new URLSearchParams(location.search);
  if (q.has('sample')) loadFromUrl(SAMPLE_URL, 'astronaut.png');
}

// ---- legend, view controls ------------------------------------------------------
function buildLegend() {
  el.legend.replaceChildren();
  for (const c of st.classes) {
    const label = document.createElement('label');
    label.className = 'check';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !st.hidden.has(c.name);
    box.dataset.class = c.name;
    box.addEventListener('change', () => {
      if (box.checked) st.hidden.delete(c.name);
      else st.hidden.add(c.name);
      drawLabels();
    });
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = `rgb(${c.colour.join(',')})`;
    label.append(box, sw, document.createTextNode(` ${CLASS_LABELS[c.name] ?? c.name}`));
    el.legend.append(label);
  }
}

el.opacity.addEventListener('input', () => {
  st.opacity = el.opacity.value / 100;
  el.opacityValue.textContent = `${el.opacity.value}%`;
  drawLabels();
});
for (const r of document.querySelectorAll('input[name="view"]')) {
  r.addEventListener('change', () => {
    st.view = r.value;
    applyView();
    drawLabels();
  });
}
function applyView() {
  const side = st.view === 'side';
  el.panes.classList.toggle('side', side);
  el.maskStage.parentElement.hidden = !side;
  el.overlay.hidden = side;
}
el.mirror.addEventListener('change', () => {
  el.stage.classList.toggle('mirrored', st.source === 'webcam' && el.mirror.checked);
  el.maskStage.classList.toggle('mirrored', st.source === 'webcam' && el.mirror.checked);
});

// ---- drawing --------------------------------------------------------------------
function sizeStages(w, h) {
  for (const s of [el.stage, el.maskStage]) {
    s.style.aspectRatio = `${w} / ${h}`;
    s.style.width = `min(100%, calc(72vh * ${(w / h).toFixed(4)}))`;
  }
}

/** RGBA for a label map: visible classes in their colour at `alpha` (0–255). */
function colourise(labels, alpha) {
  const lut = new Uint32Array(256); // little-endian RGBA packed; 0 = transparent
  for (const c of st.classes) {
    if (st.hidden.has(c.name)) continue;
    const [r, g, b] = c.colour;
    lut[c.id] = ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }
  const out = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = lut[labels[i]];
  return new Uint8ClampedArray(out.buffer);
}

function drawLabels() {
  const r = st.result;
  if (!r) {
    el.overlay.getContext('2d').clearRect(0, 0, el.overlay.width, el.overlay.height);
    el.mask.getContext('2d').clearRect(0, 0, el.mask.width, el.mask.height);
    return;
  }
  for (const [canvas, alpha, show] of [
    [el.overlay, Math.round(st.opacity * 255), st.view === 'blend'],
    [el.mask, 255, st.view === 'side'],
  ]) {
    if (!show) continue;
    if (canvas.width !== r.width || canvas.height !== r.height) {
      canvas.width = r.width;
      canvas.height = r.height;
    }
    canvas.getContext('2d').putImageData(new ImageData(colourise(r.labels, alpha), r.width, r.height), 0, 0);
  }
}

// ---- zoom: a small face is shown enlarged (the region around the crop fills the view) ----
function zoomRegion() {
  const r = st.result;
  if (!el.zoom.checked || !r?.crop || st.source !== 'photo') return null;
  const W = r.width;
  const H = r.height;
  const c = r.crop;
  let h = Math.min(H, c.h * 1.5);
  let w = (h * W) / H;
  if (w > W) {
    w = W;
    h = H;
  }
  const x = Math.min(Math.max(0, c.x + c.w / 2 - w / 2), W - w);
  const y = Math.min(Math.max(0, c.y + c.h / 2 - h / 2), H - h);
  return { x, y, w, h, W, H };
}
function zoomFactor() {
  const z = zoomRegion();
  return z ? z.W / z.w : 1;
}
function applyZoom() {
  const z = zoomRegion();
  for (const stage of [el.stage, el.maskStage]) {
    const layer = stage.querySelector('.zoom');
    layer.style.transform = z ? `scale(${z.W / z.w}) translate(${(-100 * z.x) / z.W}%, ${(-100 * z.y) / z.H}%)` : '';
    stage.classList.toggle('zoomed', !!z);
  }
}
/** Offers the zoom when the crop is small in the picture, and turns it on for a new picture. */
function updateZoomOffer(fresh) {
  const r = st.result;
  const small = st.source === 'photo' && r?.crop && r.crop.h < 0.45 * r.height;
  el.zoomRow.hidden = !(st.source === 'photo' && r?.crop && r.crop.h < 0.9 * r.height);
  if (fresh) el.zoom.checked = !!small;
  applyZoom();
}
el.zoom.addEventListener('change', () => {
  applyZoom();
  drawBoxes();
});

const pct = (v, of) => `${((v / of) * 100).toFixed(3)}%`;
/** Positions a box given in image pixels over the stage (which may show a zoomed region). */
function place(node, { x, y, w, h, angle = 0 }, W, H) {
  const z = zoomRegion() ?? { x: 0, y: 0, w: W, h: H };
  node.style.left = pct(x - z.x, z.w);
  node.style.top = pct(y - z.y, z.h);
  node.style.width = pct(w, z.w);
  node.style.height = pct(h, z.h);
  // A crop turned with a tilted head turns about its centre, as the segmenter cuts it.
  node.style.transform = angle ? `rotate(${angle}rad)` : '';
}

/** The detector's six landmarks of a face (eyes, nose tip, mouth, ears) as small dots. */
function drawLandmarks(face, W, H) {
  if (!face?.landmarks) return;
  const z = zoomRegion() ?? { x: 0, y: 0, w: W, h: H };
  for (const [name, p] of Object.entries(face.landmarks)) {
    const dot = document.createElement('span');
    dot.className = 'landmark';
    dot.dataset.name = name;
    dot.setAttribute('aria-hidden', 'true');
    dot.style.left = pct(p.x - z.x, z.w);
    dot.style.top = pct(p.y - z.y, z.h);
    el.boxes.append(dot);
  }
}

/** Face outlines (clickable when there are several), their landmarks and the crop box. */
function drawBoxes() {
  el.boxes.replaceChildren();
  const W = st.source === 'webcam' ? st.result?.width : st.photo?.workW;
  const H = st.source === 'webcam' ? st.result?.height : st.photo?.workH;
  if (!W) return;
  if (st.source === 'webcam') {
    if (st.result?.crop) {
      const c = document.createElement('div');
      c.className = 'cropbox live';
      place(c, st.result.crop, W, H);
      el.boxes.append(c);
    }
    drawLandmarks(st.result?.box, W, H);
    return;
  }
  if (st.faces.length > 1) {
    st.faces.forEach((f, i) => {
      if (i === st.selected && st.mode === 'face') return;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'facebox';
      b.tabIndex = -1; // the face buttons above the picture are the keyboard route
      b.setAttribute('aria-label', `Segment face ${i + 1}`);
      const tag = document.createElement('span');
      tag.textContent = `Face ${i + 1}`;
      b.append(tag);
      place(b, f, W, H);
      b.addEventListener('click', () => selectFace(i));
      el.boxes.append(b);
    });
  }
  const crop = st.mode !== 'whole' ? st.result?.crop ?? st.pendingCrop : null;
  if (crop) el.boxes.append(cropBox(crop, W, H));
  for (const f of st.faces) drawLandmarks(f, W, H); // on top of the crop's shade
}

// ---- crop box: drag to move, handle to resize (keeps the model's aspect) ----------
function cropBox(crop, W, H) {
  const box = document.createElement('div');
  box.className = 'cropbox';
  box.tabIndex = 0;
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', 'Face crop: drag or use the arrow keys to move it, the handle or + and − to resize it');
  const tag = document.createElement('span');
  tag.className = 'tag';
  tag.textContent = 'segmented area';
  const handle = document.createElement('div');
  handle.className = 'handle';
  handle.setAttribute('aria-hidden', 'true');
  box.append(tag, handle);
  let cur = { ...crop };
  place(box, cur, W, H);
  const aspect = st.info.cropAspect;
  const scale = () => W / el.stage.clientWidth / zoomFactor(); // image pixels per CSS pixel

  let drag = null;
  const down = (ev, kind) => {
    ev.preventDefault();
    ev.stopPropagation();
    box.setPointerCapture(ev.pointerId);
    drag = { kind, x: ev.clientX, y: ev.clientY, start: { ...cur } };
  };
  box.addEventListener('pointerdown', (ev) => down(ev, 'move'));
  handle.addEventListener('pointerdown', (ev) => down(ev, 'resize'));
  box.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const dx = (ev.clientX - drag.x) * scale();
    const dy = (ev.clientY - drag.y) * scale();
    if (drag.kind === 'move') {
      cur = { ...drag.start, x: Math.round(drag.start.x + dx), y: Math.round(drag.start.y + dy) };
    } else {
      const h = Math.max(24, drag.start.h + Math.max(dy, dx / aspect));
      cur = { ...drag.start, h: Math.round(h), w: Math.round(h * aspect) };
    }
    place(box, cur, W, H);
  });
  const up = () => {
    if (!drag) return;
    drag = null;
    segmentCrop(cur);
  };
  box.addEventListener('pointerup', up);
  box.addEventListener('pointercancel', up);

  let timer = 0;
  box.addEventListener('keydown', (ev) => {
    const step = Math.max(2, Math.round((ev.shiftKey ? 0.1 : 0.02) * Math.max(W, H)));
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[ev.key]) {
      cur = { ...cur, x: cur.x + moves[ev.key][0], y: cur.y + moves[ev.key][1] };
    } else if (['+', '=', '-', '_'].includes(ev.key)) {
      const f = ev.key === '+' || ev.key === '=' ? 1.08 : 1 / 1.08;
      const h = Math.max(24, Math.round(cur.h * f));
      const w = Math.round(h * aspect);
      cur = { x: Math.round(cur.x + (cur.w - w) / 2), y: Math.round(cur.y + (cur.h - h) / 2), w, h };
    } else return;
    ev.preventDefault();
    place(box, cur, W, H);
    clearTimeout(timer);
    timer = setTimeout(() => segmentCrop(cur, { refocus: true }), 350);
  });
  return box;
}

// ---- photos -----------------------------------------------------------------------
/**
 * On a phone the result is below the picture sources: once a picture is chosen (or the
 * camera starts), bring the status line and the result under it into view.
 */
function revealResult() {
  const status = el.status.getBoundingClientRect();
  const result = el.result.getBoundingClientRect();
  if (status.top >= 0 && result.top < window.innerHeight * 0.6) return; // already in view
  el.status.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
}
async function decode(blob) {
  try {
    return await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    // Some browsers decode more through <img> (e.g. SVG, odd JPEGs).
    const url = URL.createObjectURL(blob);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

async function loadFile(file) {
  if (!file) return;
  const name = file.name || 'The pasted file';
  // The header first, with the core's limits: format, declared size, truncation
  // (a browser decodes a cut-off JPEG as grey without complaint).
  try {
    st.lib.inspectImageFile(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    showError(`“${name}” cannot be used: ${e.message.replace(/^invalid image: /, '')}.`);
    return;
  }
  let bitmap;
  try {
    bitmap = await decode(file);
  } catch {
    showError(`“${name}” could not be read as an image. Choose a JPEG, PNG or WebP photo.`);
    return;
  }
  await usePicture(bitmap, file.name || 'pasted image');
}

async function loadFromUrl(url, name) {
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await usePicture(await decode(await res.blob()), name);
  } catch (e) {
    showError(`The sample portrait could not be loaded (${e.message}).`);
  }
}

function fit(w, h, max) {
  const f = Math.min(1, max / Math.max(w, h));
  return [Math.max(1, Math.round(w * f)), Math.max(1, Math.round(h * f))];
}

async function usePicture(bitmap, name) {
  if (!st.seg) return;
  stopCamera();
  clearError();
  const fullW = bitmap.width;
  const fullH = bitmap.height;
  if (!fullW || !fullH) {
    showError(`“${name}” is empty (0 pixels).`);
    return;
  }
  const token = ++st.token;
  st.source = 'photo';
  el.stage.classList.remove('mirrored');
  el.maskStage.classList.remove('mirrored');
  const [shownW, shownH] = fit(fullW, fullH, MAX_SHOWN_SIDE);
  const [workW, workH] = fit(fullW, fullH, MAX_WORK_SIDE);
  const shown = el.photo;
  shown.width = shownW;
  shown.height = shownH;
  shown.getContext('2d').drawImage(bitmap, 0, 0, shownW, shownH);
  const workCanvas = new OffscreenCanvas(workW, workH);
  const wctx = workCanvas.getContext('2d', { willReadFrequently: true });
  wctx.imageSmoothingQuality = 'high';
  wctx.drawImage(bitmap, 0, 0, workW, workH);
  bitmap.close?.();
  st.photo = { name, fullW, fullH, shownW, shownH, workW, workH, work: wctx.getImageData(0, 0, workW, workH) };
  st.result = null;
  st.faces = [];
  st.selected = -1;
  st.pendingCrop = null;
  st.freshZoom = true;
  el.zoom.checked = false;
  updateZoomOffer(false);
  sizeStages(workW, workH);
  applyView();
  drawLabels();
  drawBoxes();
  el.result.hidden = false;
  el.noface.hidden = true;
  el.faces.hidden = true;
  el.wholeAgain.hidden = true;
  el.manualAgain.hidden = true;
  updateDownloads();
  revealResult();
  el.caption.textContent = `${name} — ${fullW}×${fullH}${workW !== fullW ? `, segmented at ${workW}×${workH}` : ''}`;

  try {
    // A gray photo would come back as background and hair only: say so instead.
    await st.seg.checkColour(st.photo.work);
  } catch (e) {
    if (token !== st.token) return;
    status('');
    showError(`“${name}”: ${e.message.replace(/^invalid image: /, '')}.`, { keepResult: false });
    return;
  }
  if (token !== st.token) return;
  if (!st.info.detector.available) {
    await segmentWhole();
    return;
  }
  setState('working');
  status('Looking for faces…');
  let det;
  try {
    // The detector looks at the whole picture, then (when no face is sure) in
    // smaller overlapping squares for small faces: faces down to about 50 px.
    det = await st.seg.detectFaces(st.photo.work);
  } catch (e) {
    showError(`Face detection failed: ${e.message}`);
    return;
  }
  if (token !== st.token) return;
  st.faces = det.faces;
  st.detectMs = det.ms;
  renderFaceList();
  if (!st.faces.length) {
    st.mode = 'whole';
    el.noface.hidden = false;
    el.wholeAgain.hidden = true;
    setState('noface');
    status('No face found. You can segment the whole picture as it is, or place a face box by hand.');
    drawBoxes();
    el.whole.focus();
    return;
  }
  await selectFace(0);
}

function renderFaceList() {
  el.faces.replaceChildren();
  el.faces.hidden = st.faces.length < 2;
  if (st.faces.length < 2) return;
  const label = document.createElement('span');
  label.textContent = `${st.faces.length} faces:`;
  el.faces.append(label);
  st.faces.forEach((f, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = i === 0 ? `Face ${i + 1} (largest)` : `Face ${i + 1}`;
    b.setAttribute('aria-pressed', String(i === st.selected && st.mode === 'face'));
    b.addEventListener('click', () => selectFace(i));
    el.faces.append(b);
  });
}

async function selectFace(i) {
  st.selected = i;
  st.mode = 'face';
  renderFaceList();
  await run(() => st.seg.segmentFace(st.photo.work, st.faces[i]), `face ${i + 1} of ${st.faces.length}`);
}

async function segmentCrop(crop, { refocus = false } = {}) {
  st.mode = st.mode === 'whole' ? 'manual' : st.mode;
  await run(() => st.seg.segmentFace(st.photo.work, null, { crop }), 'your crop');
  if (refocus) el.boxes.querySelector('.cropbox')?.focus();
}

async function segmentWhole() {
  st.mode = 'whole';
  renderFaceList();
  await run(async () => ({ ...(await st.seg.segment(st.photo.work)), crop: null }), 'the whole picture');
}

el.whole.addEventListener('click', () => segmentWhole());
el.wholeAgain.addEventListener('click', () => segmentWhole());
async function placeCropByHand() {
  const { workW: W, workH: H } = st.photo;
  const h = Math.round(H * 0.8);
  const w = Math.round(h * st.info.cropAspect);
  st.mode = 'manual';
  await segmentCrop({ x: Math.round((W - w) / 2), y: Math.round((H - h) / 2), w, h }, { refocus: true });
}
el.manualCrop.addEventListener('click', placeCropByHand);
el.manualAgain.addEventListener('click', placeCropByHand);

/** The message for a failed call; after a crash the worker has been replaced. */
function failure(what, e) {
  return e?.panic
    ? `${what} failed: ${e.message}. The segmenter was restarted; the last result stays on screen — try again.`
    : `${what} failed: ${e?.message ?? e}`;
}

async function run(job, what) {
  const token = st.token;
  clearError();
  setState('working');
  status(`Segmenting ${what}…`);
  let r;
  try {
    r = await job();
  } catch (e) {
    // The current result (if any) stays as it is: only the message changes.
    if (token === st.token) {
      showError(failure('Segmenting', e));
      status(st.result ? 'The previous result is still shown.' : '');
    }
    return;
  }
  if (token !== st.token) return;
  st.result = r;
  updateDownloads();
  // Zoom in on a small face the first time a picture is segmented through a crop.
  updateZoomOffer(st.freshZoom && !!r.crop);
  if (r.crop) st.freshZoom = false;
  drawLabels();
  drawBoxes();
  // The no-face notice has done its job once one of its offers worked; the other
  // stays a click away under the picture.
  const noFace = st.faces.length === 0;
  el.noface.hidden = true;
  el.wholeAgain.hidden = st.mode === 'whole';
  el.manualAgain.hidden = !(noFace && st.mode === 'whole' && st.info.detector.available);
  const detect = st.detectMs != null ? ` (+ ${Math.round(st.detectMs)} ms face detection)` : '';
  el.perf.textContent = `${st.info.build} build · ${st.info.threads} thread${st.info.threads === 1 ? '' : 's'} · ${Math.round(r.ms)} ms per image${detect}`;
  setState('done');
  status(
    st.mode === 'whole'
      ? `Segmented the whole picture as it is${noFace && st.info.detector.available ? ' (no face was found)' : ''}.`
      : st.mode === 'manual' || !r.box
        ? 'Segmented your crop. Drag the orange box or its handle to adjust.'
        : `Segmented ${st.faces.length > 1 ? `face ${st.selected + 1} of ${st.faces.length}` : 'the face'}. Drag the orange box or its handle to adjust.`,
  );
}

// File picker, drag and drop, paste.
el.file.addEventListener('change', () => {
  loadFile(el.file.files[0]);
  el.file.value = '';
});
el.sample.addEventListener('click', () => loadFromUrl(SAMPLE_URL, 'astronaut.png (NASA, public domain)'));
for (const t of ['dragenter', 'dragover']) {
  document.addEventListener(t, (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    el.dropzone.classList.add('over');
  });
}
for (const t of ['dragleave', 'drop']) document.addEventListener(t, () => el.dropzone.classList.remove('over'));
document.addEventListener('drop', (e) => {
  if (!e.dataTransfer?.files?.length) return;
  e.preventDefault();
  if (!st.seg) return showError('Still loading — drop the photo again in a moment.');
  loadFile(e.dataTransfer.files[0]);
});
document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file');
  if (!item) return;
  e.preventDefault();
  if (!st.seg) return showError('Still loading — paste again in a moment.');
  loadFile(item.getAsFile());
});

// ---- downloads ----------------------------------------------------------------------
/** The download buttons are there only when there is a result to save. */
function updateDownloads() {
  el.dlMask.hidden = el.dlOverlay.hidden = !st.result;
}
function save(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
const baseName = () => (st.source === 'webcam' ? 'webcam' : (st.photo?.name ?? 'photo').replace(/\s.*$/, '').replace(/\.[^.]*$/, '') || 'photo');

/** Labels at the shown (full) size: nearest-neighbour upscale of the working labels. */
function labelsAtShownSize() {
  const r = st.result;
  const W = el.photo.width;
  const H = el.photo.height;
  if (W === r.width && H === r.height) return { labels: r.labels, width: W, height: H };
  const out = new Uint8Array(W * H);
  const xs = new Uint32Array(W);
  for (let x = 0; x < W; x++) xs[x] = Math.min(r.width - 1, Math.floor(((x + 0.5) * r.width) / W));
  for (let y = 0; y < H; y++) {
    const sy = Math.min(r.height - 1, Math.floor(((y + 0.5) * r.height) / H)) * r.width;
    for (let x = 0; x < W; x++) out[y * W + x] = r.labels[sy + xs[x]];
  }
  return { labels: out, width: W, height: H };
}

el.dlMask.addEventListener('click', async () => {
  if (!st.result) return;
  try {
    const { labels, width, height } = labelsAtShownSize();
    const palette = st.info.classes.map((c) => c.colour);
    save(await encodeIndexedPng(labels, width, height, palette), `${baseName()}-labels.png`);
    status(`Label mask saved: ${width}×${height}, pixel value = class id (${st.classes.map((c) => `${c.id} ${c.name}`).join(', ')}).`);
  } catch (e) {
    showError(`The label mask could not be saved: ${e.message}`);
  }
});
el.dlOverlay.addEventListener('click', async () => {
  if (!st.result) return;
  const c = document.createElement('canvas');
  c.width = el.photo.width;
  c.height = el.photo.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(el.photo, 0, 0);
  const o = new OffscreenCanvas(st.result.width, st.result.height);
  o.getContext('2d').putImageData(new ImageData(colourise(st.result.labels, Math.round(st.opacity * 255)), st.result.width, st.result.height), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(o, 0, 0, c.width, c.height);
  c.toBlob((blob) => (blob ? save(blob, `${baseName()}-overlay.png`) : showError('The overlay could not be saved.')), 'image/png');
});

// ---- webcam -------------------------------------------------------------------------
const CAMERA_ERRORS = {
  NotAllowedError: 'Camera access was denied. Allow the camera for this site (the camera icon in the address bar) and press “Start camera” again — or use a photo instead.',
  SecurityError: 'Camera access was blocked by the browser’s security settings. Use a photo instead.',
  NotFoundError: 'No camera was found. Plug one in, or use a photo instead.',
  OverconstrainedError: 'The chosen camera is not available any more. Pick another one.',
  NotReadableError: 'The camera is in use by another application (or failed to start). Close the other app and try again.',
  AbortError: 'The camera failed to start. Try again.',
};

async function startCamera(deviceId) {
  clearError();
  if (!navigator.mediaDevices?.getUserMedia) {
    showError(window.isSecureContext ? 'This browser cannot use a camera from a web page.' : 'The camera needs a secure (https) page.');
    return;
  }
  stopCamera();
  el.camStart.disabled = true;
  status('Starting the camera…');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user' }), width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    el.camStart.disabled = false;
    showError(CAMERA_ERRORS[e.name] ?? `The camera could not be started: ${e.message || e.name}`);
    status('');
    return;
  }
  const token = ++st.token;
  const cam = (st.cam = { stream, running: true, paused: false, loop: null, deviceId: stream.getVideoTracks()[0]?.getSettings().deviceId });
  st.camStats = null; // this session's figures only
  el.camStats.textContent = '';
  st.source = 'webcam';
  st.photo = null;
  el.zoom.checked = false;
  updateZoomOffer(false);
  st.result = null;
  updateDownloads();
  st.faces = [];
  el.camStart.hidden = true;
  el.camStart.disabled = false;
  el.camStop.hidden = false;
  el.noface.hidden = true;
  el.faces.hidden = true;
  el.wholeAgain.hidden = true;
  el.manualAgain.hidden = true;
  el.stage.classList.toggle('mirrored', el.mirror.checked);
  el.maskStage.classList.toggle('mirrored', el.mirror.checked);
  stream.getVideoTracks()[0]?.addEventListener('ended', () => {
    if (st.cam === cam) {
      stopCamera();
      showError('The camera stopped (it was unplugged or switched off).');
    }
  });
  await listCameras(cam.deviceId);
  el.video.srcObject = stream;
  try {
    await el.video.play();
  } catch (e) {
    stopCamera();
    showError(`The camera video could not be played: ${e.message}`);
    return;
  }
  await st.seg.resetTracking();
  el.result.hidden = false;
  revealResult();
  setState('live');
  status('Camera on: segmenting live. Your video stays on this device.');
  cam.loop = cameraLoop(cam, token);
  if (document.hidden) pauseCamera(cam);
}

// A hidden tab does not segment the camera: the loop waits and the video track is
// disabled (the stream is kept, so no new permission prompt), until the tab is visible.
function pauseCamera(cam) {
  if (cam.paused) return;
  cam.paused = true;
  cam.loop?.pause();
  for (const t of cam.stream.getVideoTracks()) t.enabled = false;
  setState('paused');
  status('Camera paused while this tab is hidden.');
  el.camStats.textContent = statsText('paused');
}
function resumeCamera(cam) {
  if (!cam.paused) return;
  cam.paused = false;
  for (const t of cam.stream.getVideoTracks()) t.enabled = true;
  setState('live');
  status('Camera on: segmenting live. Your video stays on this device.');
  el.camStats.textContent = statsText('resuming');
  if (cam.fpsWindow) cam.fpsWindow.length = 0; // fps restarts from the resumption
  cam.loop?.resume();
}
document.addEventListener('visibilitychange', () => {
  if (!st.cam?.running) return;
  if (document.hidden) pauseCamera(st.cam);
  else resumeCamera(st.cam);
});

/** The camera's last figures with a note, e.g. `19.7 fps · 48 ms latency (stopped)`. */
function statsText(note) {
  const s = st.camStats;
  return s ? `${s.fps.toFixed(1)} fps · ${Math.round(s.latency)} ms latency (${note})` : '';
}

async function listCameras(current) {
  try {
    const cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    el.camPicker.replaceChildren(
      ...cams.map((d, i) => {
        const o = document.createElement('option');
        o.value = d.deviceId;
        o.textContent = d.label || `Camera ${i + 1}`;
        o.selected = d.deviceId === current;
        return o;
      }),
    );
    el.camPickerRow.hidden = cams.length < 1;
  } catch {
    el.camPickerRow.hidden = true;
  }
}

// Live frames are worked on at this size: the model sees a 128×128 square of the
// face anyway, and a smaller frame makes capture, detection and the copy back cheap.
const LIVE_WORK_SIDE = 320;

/**
 * The camera's live loop: the package's startVideo (frame capture on
 * requestVideoFrameCallback, one frame in the worker while the next is captured);
 * this draws each result with the frame it belongs to and keeps the figures.
 */
function cameraLoop(cam, token) {
  const video = el.video;
  const done = []; // completion times, for fps over the last second
  let lat = 0;
  let segMs = 0;
  let detMs = null;
  let frames = 0;
  let lastStats = 0;
  let size = null;
  const live = () => cam.running && token === st.token;
  cam.fpsWindow = done;
  const onResult = (r, f) => {
    if (!live()) return;
    if (!size || size[0] !== f.width || size[1] !== f.height) {
      size = [f.width, f.height];
      el.photo.width = f.width;
      el.photo.height = f.height;
      sizeStages(f.width, f.height);
      applyView();
    }
    // Show the frame these labels belong to.
    el.photo.getContext('2d').drawImage(f.canvas, 0, 0);
    const first = !st.result;
    st.result = r;
    if (first) updateDownloads();
    drawLabels();
    drawBoxes();
    const t1 = performance.now();
    frames++;
    done.push(t1);
    while (done.length && done[0] < t1 - 1000) done.shift();
    const k = frames === 1 ? 1 : 0.15;
    lat += k * (f.latencyMs - lat);
    segMs += k * (r.segmentMs - segMs);
    if (r.detectMs != null) detMs = detMs == null ? r.detectMs : detMs + 0.3 * (r.detectMs - detMs);
    if (t1 - lastStats > 250) {
      lastStats = t1;
      const fps = done.length > 1 ? ((done.length - 1) * 1000) / (done[done.length - 1] - done[0]) : 0;
      st.camStats = { fps, latency: lat, segmentMs: segMs, detectMs: detMs, frames, face: !!r.box };
      el.camStats.textContent = cam.paused
        ? statsText('paused')
        : `${fps.toFixed(1)} fps · ${Math.round(lat)} ms latency (segment ${Math.round(segMs)} ms${detMs != null ? `, detect ${Math.round(detMs)} ms every ${DETECT_EVERY} frames` : ''})${r.box ? '' : ' · no face: whole frame'}`;
      el.perf.textContent = `${st.info.build} build · ${st.info.threads} thread${st.info.threads === 1 ? '' : 's'} · ${Math.round(segMs)} ms per frame`;
      el.caption.textContent = `Webcam — ${f.width}×${f.height} (shown at ${f.videoWidth}×${f.videoHeight})`;
    }
  };
  // A crash restarts the worker: the last frame stays and the next one is tried;
  // repeated crashes (or any other error) stop the camera.
  const onError = (e, { stopped }) => {
    if (!live()) return;
    if (stopped) stopCamera();
    showError(failure('Live segmentation', e));
    if (!stopped) setState('live');
  };
  return st.seg.startVideo(video, onResult, { maxSide: LIVE_WORK_SIDE, detectEvery: DETECT_EVERY, onError });
}

function stopCamera() {
  const cam = st.cam;
  if (!cam) return;
  cam.running = false;
  cam.loop?.stop();
  for (const t of cam.stream.getTracks()) t.stop();
  el.video.srcObject = null;
  st.cam = null;
  el.camStart.hidden = false;
  el.camStop.hidden = true;
  el.camStats.textContent = statsText('stopped');
  if (st.source === 'webcam') {
    setState('done');
    status('Camera stopped. The last frame stays on screen.');
  }
}

el.camStart.addEventListener('click', () => startCamera(el.camPicker.value || undefined));
el.camStop.addEventListener('click', () => {
  stopCamera();
  el.camStart.focus();
});
el.camPicker.addEventListener('change', () => {
  if (st.cam) startCamera(el.camPicker.value);
});

init().catch((e) => showError(`The demo failed to start: ${e.message}`));
