// The URL of the face detector shipped in the package (models/face_detection_short_range.tflite:
// BlazeFace, MediaPipe's short-range face detector, Apache-2.0; licence in
// models/face_detection_short_range.LICENSE.txt). A separate module so that bundlers
// emit the 229 KB file only for pages that import it:
//
//   import detectorUrl from 'faceforest-web/detector';
//   const seg = await createSegmenter({ modelUrl, detectorUrl });
export default new URL('./models/face_detection_short_range.tflite', import.meta.url).href;
