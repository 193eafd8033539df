/** URL of the face detector shipped in the package (`models/face_detection_short_range.tflite`, BlazeFace, Apache-2.0). */
declare const detectorUrl: string;
export default detectorUrl;
