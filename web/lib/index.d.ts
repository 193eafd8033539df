// Type declarations for faceforest's browser runtime (web/lib/index.js).

export type ThreadsOption = 'auto' | 'single' | 'multi';

// Results are fresh arrays over a plain ArrayBuffer (never shared memory). Since
// TypeScript 5.7 typed arrays are generic over their buffer and the DOM's `ImageData`
// and `BlobPart` want `<ArrayBuffer>`; before, the generic syntax is an error. What
// `slice()` returns names the right type under both (TypeScript 5.6 and later).
/** `Uint8Array<ArrayBuffer>` (plain `Uint8Array` before TypeScript 5.7). */
export type ResultBytes = ReturnType<Uint8Array['slice']>;
/** `Uint8ClampedArray<ArrayBuffer>`, ready for `new ImageData(...)`. */
export type ResultRgba = ReturnType<Uint8ClampedArray['slice']>;
/** `Float32Array<ArrayBuffer>`. */
export type ResultFloats = ReturnType<Float32Array['slice']>;

/** One download's progress (`CreateSegmenterOptions.onProgress`). */
export interface LoadProgress {
  file: 'wasm' | 'model' | 'detector';
  url: string;
  /** Bytes received so far. */
  loaded: number;
  /** The file's size, or null when the server does not say. */
  total: number | null;
}

export interface CreateSegmenterOptions {
  /** URL of a faceforest model file, resolved against the page. */
  modelUrl?: string | URL;
  /** The model's bytes (copied; the caller's buffer stays usable). */
  modelBytes?: ArrayBuffer | ArrayBufferView;
  /**
   * Optional face detector for face framing (`detectFaces`, `segmentFace`,
   * `segmentVideoFrame`): URL of BlazeFace's `face_detection_short_range.tflite`
   * (MediaPipe's short-range face detector, Apache-2.0; the package ships it as
   * `faceforest-web/models/face_detection_short_range.tflite`), resolved against the
   * page, or its bytes. Without it, or if it does not load (`info.detector.error`
   * says why), whole-image segmentation still works.
   */
  detectorUrl?: string | URL;
  detectorBytes?: ArrayBuffer | ArrayBufferView;
  /**
   * 'auto' (default): the threaded build when the page is cross-origin isolated and
   * the browser supports wasm threads, else the single-threaded build.
   * 'single': always single-threaded. 'multi': threaded or reject.
   */
  threads?: ThreadsOption;
  /** Size of the thread pool (threaded build); default `navigator.hardwareConcurrency`. */
  numThreads?: number;
  /** A download (model, detector) that sends nothing for this long is abandoned; default `TIME_LIMITS.fetchTimeoutMs`. */
  fetchTimeoutMs?: number;
  /** The threaded build's start-up limit; past it 'auto' falls back to single-threaded; default `TIME_LIMITS.threadPoolTimeoutMs`. */
  threadPoolTimeoutMs?: number;
  /**
   * Download progress of the wasm build, the model and the detector (they download at
   * the same time): called with `{ file, url, loaded: 0, total }` when each answers,
   * then as bytes arrive. `total` is null when the server does not send a usable
   * Content-Length (e.g. a compressed response). Not called for `modelBytes`/`detectorBytes`.
   */
  onProgress?: (p: LoadProgress) => void;
}

/** Default time limits in milliseconds (limits.js). */
export const TIME_LIMITS: Readonly<{ fetchTimeoutMs: number; threadPoolTimeoutMs: number }>;

export interface ClassInfo {
  id: number;
  name: string;
  colour: [number, number, number];
}

export interface SegmenterInfo {
  build: 'threads' | 'single';
  /** Threads the core uses (1 for the single-threaded build). */
  threads: number;
  /** The classes that appear in results (the core's internal 'padding' class is left out). */
  classes: ClassInfo[];
  /** Side of the square the model works in. */
  size: number;
  trees: number;
  nodes: number;
  crossOriginIsolated: boolean;
  /** Why 'auto' fell back to the single-threaded build, or null. */
  fallbackReason: string | null;
  /** Whether face detection is available, and why not. */
  detector: { available: boolean; error: string | null };
  /** Width / height of the crops `cropFor` returns (the training photos' 363:512). */
  cropAspect: number;
  /** The core's input limits, as the wasm reports them (equal to `LIMITS`). */
  limits: Limits & { maxMemoryBytes: number; modelFormat: string };
}

/** Input limits (the core's `limits.rs`, mirrored in limits.js). */
export interface Limits {
  /** Largest image accepted, in pixels (64 megapixels). */
  maxPixels: number;
  /** Longest side accepted. */
  maxSide: number;
  /** Smallest side accepted (16). */
  minSide: number;
  /** 'PNG', 'JPEG', 'WebP'. */
  formats: readonly string[];
  mimes: readonly string[];
}

export const LIMITS: Readonly<Limits>;

/** The model files this package reads: magic bytes and format versions `oldest..=version`. */
export const MODEL_FORMAT: Readonly<{ magic: string; version: number; oldest: number }>;

/**
 * Reads an image file's header before decoding it: its format and declared size,
 * or throws the core's message (empty, not an accepted format, truncated, too
 * small, too large).
 */
export function inspectImageFile(bytes: ArrayBuffer | Uint8Array): { format: 'PNG' | 'JPEG' | 'WebP'; width: number; height: number };

export interface Diagnostics {
  /** Bytes of wasm memory (it grows, never shrinks; flat in a steady session). */
  wasmMemoryBytes: number;
  build: 'threads' | 'single';
  threads: number;
  /** Workers restarted after a crash (panic or out of memory). */
  restarts: number;
}

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** BlazeFace's six keypoints, in image pixels; right and left are the subject's. */
export interface FaceLandmarks {
  rightEye: Point;
  leftEye: Point;
  noseTip: Point;
  mouth: Point;
  rightEar: Point;
  leftEar: Point;
}

/**
 * A face box in image pixels (a detected one may overhang the image a little). A box
 * passed in (`cropFor`, `segmentFace`) needs only x, y, w and h; if it has
 * `landmarks`, all six points must be finite.
 */
export interface FaceBox {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Detector confidence, a probability in (0, 1) (at least `scoreThreshold`, default 0.5). */
  score?: number;
  /** The six keypoints (set on detected faces). */
  landmarks?: FaceLandmarks;
  /** Angle of the eye line in radians, positive: clockwise on screen (set on detected faces). */
  roll?: number;
}

/** A crop rectangle in image pixels (integers; may overhang the image). */
export interface CropRect {
  x: number;
  y: number;
  w: number;
  h: number;
  /**
   * Turn about the crop's centre in radians, positive: clockwise on screen. `cropFor`
   * sets it from a detected face's roll (0 below 5°), so a tilted head is segmented
   * upright; optional on a crop you pass in (0).
   */
  angle?: number;
}

/** Face-detector options; any other key is refused. */
export interface DetectOptions extends SegmentOptions {
  /**
   * The whole frame as one view (live video). Without it a long panorama is also
   * looked at in square views along its length, to find smaller faces there.
   */
  fast?: boolean;
  /** Minimum confidence, strictly between 0 and 1 (default 0.5). */
  scoreThreshold?: number;
}

/** A face `detectFaces` found: score, landmarks and roll are always set. */
export interface DetectedFace extends FaceBox {
  score: number;
  landmarks: FaceLandmarks;
  roll: number;
}

export interface DetectResult {
  /** Largest first. */
  faces: DetectedFace[];
  width: number;
  height: number;
  ms: number;
}

export interface FaceSegmentResult extends SegmentResult {
  /** The crop that was segmented; labels outside it are background (0). */
  crop: CropRect;
  box: FaceBox | null;
  /** With `probabilities: true`: a plane per class, pasted back as the labels are. */
  confidence?: Confidence;
}

export interface VideoFrameOptions extends SegmentOptions {
  /** Re-detect the face every this many frames (default 5). */
  detectEvery?: number;
  detectOptions?: Omit<DetectOptions, 'transfer'>;
}

export interface VideoFrameResult extends SegmentResult {
  /** The smoothed face box used, or null (the whole frame was segmented). */
  box: FaceBox | null;
  crop: CropRect | null;
  /** Whether detection ran on this frame, and how long it took. */
  detected: boolean;
  detectMs: number | null;
  segmentMs: number;
  /** With `probabilities: true`: a plane per class (the face crop's pasted back, or the whole frame's). */
  confidence?: Confidence;
}

export interface StartVideoOptions {
  /** Frames are segmented at most this large (longer side, px; default 320, at least 16). */
  maxSide?: number;
  /** Frames in the worker at once (1–4, default 2: the next frame is captured while one is segmented). */
  inFlight?: number;
  /** Re-detect the face every this many frames (default 5). */
  detectEvery?: number;
  detectOptions?: Omit<DetectOptions, 'transfer'>;
  /** Give each result `confidence` (see `segmentVideoFrame`); default false. */
  probabilities?: boolean;
  /** Consecutive crashed frames (the worker restarts after each) before the loop ends; default 3. */
  maxFailures?: number;
  /** A frame failed; `stopped` says whether the loop ended (any error but a crash, or too many crashes). */
  onError?: (error: Error, info: { stopped: boolean }) => void;
}

/** The frame a live result belongs to. */
export interface VideoFrameInfo {
  /** The frame as segmented (`width`×`height`); valid during the `onResult` call only (it is reused). */
  canvas: OffscreenCanvas | HTMLCanvasElement;
  width: number;
  height: number;
  /** The video's own size. */
  videoWidth: number;
  videoHeight: number;
  /** `performance.now()` when the frame was captured, and the time from then to this call. */
  capturedAt: number;
  latencyMs: number;
  /** 1 for the first result, then 2, 3, … */
  frame: number;
}

export interface VideoLoop {
  /** Ends the loop: no more frames are captured; results in flight are dropped. */
  stop(): void;
  /** Stops capturing (e.g. while the tab is hidden); frames in flight still land. */
  pause(): void;
  resume(): void;
  readonly running: boolean;
  readonly paused: boolean;
  /** Results handed to `onResult` so far. */
  readonly frames: number;
  /** Resolves once the loop has ended. */
  readonly done: Promise<void>;
}

/** An `ImageData`, or anything shaped like one (RGBA bytes, row-major). */
export interface ImageLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/**
 * What `segment` and the other image methods take: RGBA pixels, or a source drawn
 * into an ImageData on the calling thread first (an `<img>` must have loaded, a
 * `<video>` must have a frame; a Blob/File is a PNG, JPEG or WebP file).
 */
export type ImageSource = ImageLike | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | VideoFrame | HTMLVideoElement | Blob;

export interface SegmentOptions {
  /**
   * Transfer the image's buffer to the worker instead of copying it (the caller's
   * buffer is then detached). Default false.
   */
  transfer?: boolean;
  /**
   * Add `confidence`, the classes' probabilities as planes (see `Confidence`).
   * Default false; anything but true or false is refused.
   */
  probabilities?: boolean;
}

/** The photo classes, in class-id order (the planes of `Confidence`). */
export type ClassName = 'background' | 'skin' | 'hair' | 'left_eye' | 'right_eye' | 'nose' | 'mouth';

/**
 * Per-class confidence: for each class a plane of `width * height` probabilities
 * (row-major, like `labels`), summing to 1 over the classes at every pixel; the
 * label is the class of highest confidence. The planes are views of one buffer
 * (`confidence.background.buffer`), class after class. On the face routes, outside
 * the crop (where the labels are background): background 1, every other class 0.
 */
export type Confidence = Record<ClassName, ResultFloats>;

export interface SegmentResult {
  /** A class id per pixel, row-major, `width * height` entries. */
  labels: ResultBytes;
  width: number;
  height: number;
  /** Milliseconds spent segmenting in the worker. */
  ms: number;
}

export interface ProbabilitiesResult extends SegmentResult {
  /** `width * height` rows of the seven photo classes (pixel-interleaved; the same values as `confidence`). */
  probabilities: ResultFloats;
  /** The same probabilities as a plane per class. */
  confidence: Confidence;
}

/** Options asking for `confidence`. */
export type WithProbabilities = { probabilities: true };

export interface ColouriseOptions {
  /** 0–1, default 0.6. */
  opacity?: number;
  /** Classes drawn transparent: names, or booleans indexed by class id. */
  hidden?: Array<string | boolean> | Set<string>;
}

export interface Segmenter {
  readonly info: SegmenterInfo;
  segment(image: ImageSource, options: SegmentOptions & WithProbabilities): Promise<ProbabilitiesResult>;
  segment(image: ImageSource, options?: SegmentOptions): Promise<SegmentResult>;
  segmentProbabilities(image: ImageSource, options?: SegmentOptions): Promise<ProbabilitiesResult>;
  /** RGBA overlay, ready for `new ImageData(rgba, width, height)`. */
  colourise(labels: Uint8Array, options?: ColouriseOptions): Promise<ResultRgba>;
  /**
   * Resolves `null` for a colour photo; rejects with `invalid image: the photo is
   * grayscale …` for a gray one, in which the model finds no skin or face parts.
   * `segment` does not apply it (a dim video frame can look gray): call it for photos.
   */
  checkColour(image: ImageSource, options?: SegmentOptions): Promise<null>;
  /**
   * Faces in the image (BlazeFace), largest first, with six landmarks and the roll
   * each (needs `detectorUrl`/`detectorBytes`).
   */
  detectFaces(image: ImageSource, options?: DetectOptions): Promise<DetectResult>;
  /** The crop the model expects around a face box. */
  cropFor(box: FaceBox, width: number, height: number): Promise<CropRect>;
  /** Segments through the crop around `box` (or `options.crop`); labels for the whole image. */
  segmentFace(image: ImageSource, box: FaceBox | null, options: SegmentOptions & { crop?: CropRect } & WithProbabilities): Promise<FaceSegmentResult & { confidence: Confidence }>;
  segmentFace(image: ImageSource, box: FaceBox | null, options?: SegmentOptions & { crop?: CropRect }): Promise<FaceSegmentResult>;
  /** One webcam frame: periodic detection, smoothed box, face crop segmented. */
  segmentVideoFrame(image: ImageSource, options: VideoFrameOptions & WithProbabilities): Promise<VideoFrameResult & { confidence: Confidence }>;
  segmentVideoFrame(image: ImageSource, options?: VideoFrameOptions): Promise<VideoFrameResult>;
  /**
   * Segments a playing `<video>` (e.g. a webcam's) live: each new frame
   * (requestVideoFrameCallback, else requestAnimationFrame) through `segmentVideoFrame`,
   * results in order to `onResult` (awaited if it returns a promise).
   */
  startVideo(video: HTMLVideoElement, onResult: (result: VideoFrameResult, frame: VideoFrameInfo) => void | Promise<void>, options?: StartVideoOptions): VideoLoop;
  /** Forgets the tracked face box. */
  resetTracking(): Promise<void>;
  /** Memory and restarts, for long sessions. */
  diagnostics(): Promise<Diagnostics>;
  /** Stops the worker and its threads; pending and later calls reject. */
  dispose(): void;
}

/** Loads the wasm, the model and the thread pool in a Web Worker. */
export function createSegmenter(options: CreateSegmenterOptions): Promise<Segmenter>;
