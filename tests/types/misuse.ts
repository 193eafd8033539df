// Must NOT type-check (tests/e2e/types.test.mjs): shows that the package's types are
// read, not `any`. Each line is one mistake the compiler has to report.
import { createSegmenter } from 'faceforest-web';

export async function misuse(): Promise<void> {
  const seg = await createSegmenter({ modelUrl: 'm', threads: 'many' });
  await seg.segment('not an image');
  const overlay: Float32Array = await seg.colourise(new Uint8Array(4));
  await seg.detectFaces(new ImageData(4, 4), { maxSide: 480 });
  await seg.cropFor({ x: 0, y: 0, w: 9, h: 9, landmarks: { rightEye: { x: 1, y: 1 } } }, 9, 9);
  await seg.segmentFace(new ImageData(4, 4), null, { probabilities: 'yes' });
  console.log(overlay);
}
