// Must NOT type-check (tests/e2e/types.test.mjs): shows that the package's types are
// read, not `any`. Each line is one mistake the compiler has to report.
import { createSegmenter } from 'faceforest-web';

export async function misuse(): Promise<void> {
  const seg = await createSegmenter({ modelUrl: 'm', threads: 'many' });
  await seg.segment('not an image');
  const overlay: Float32Array = await seg.colourise(new Uint8Array(4));
  console.log(overlay);
}
