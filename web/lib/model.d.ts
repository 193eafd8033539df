/** URL of the model shipped in the package (`models/faceforest.model`; see models/MODEL-TERMS.md). */
declare const modelUrl: string;
export default modelUrl;
