// The URL of the model shipped in the package (models/faceforest.model; terms in
// models/MODEL-TERMS.md: trained on FASSEG, research use). A separate module so that
// bundlers emit the 1.8 MB file only for pages that import it:
//
//   import modelUrl from 'faceforest-web/model';
//   const seg = await createSegmenter({ modelUrl });
export default new URL('./models/faceforest.model', import.meta.url).href;
