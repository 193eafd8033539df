// (e) Browser labels equal native labels on FASSEG test photos, for both builds.
// The native side is crates/faceforest-wasm/examples/native_labels.rs (helpers.nativeLabels):
// it writes the decoded RGBA it segmented, so both sides label the same bytes. The
// browser's own PNG decoding is checked against those bytes too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FASSEG_DIR, modelPath, requireBuilds, testPhotos, nativeLabels, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const PHOTOS = testPhotos(5);
let native, coi, plain, browser;

before(async () => {
  requireBuilds();
  native = nativeLabels(PHOTOS, MODEL);
  const mounts = [
    { prefix: '/model/', dir: path.dirname(MODEL) },
    { prefix: '/native/', dir: native.dir },
    { prefix: '/fasseg/', dir: FASSEG_DIR },
  ];
  [coi, plain] = await Promise.all([startServer({ coi: true, mounts }), startServer({ mounts })]);
  browser = await launchBrowser();
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await Promise.all([coi, plain].map((s) => s?.close()));
});

for (const [build, server, threads] of [['threads', () => coi, 'multi'], ['single', () => plain, 'single']]) {
  test(`(e) ${build} build: labels equal native labels on ${PHOTOS.length} FASSEG test photos`, async (t) => {
    assert.equal(native.entries.length, PHOTOS.length);
    const page = await harness(browser, server());
    const results = await page.evaluate(
      async ({ modelUrl, threads, entries }) => {
        const seg = await ff.createSegmenter({ modelUrl, threads });
        const out = { build: seg.info.build, threads: seg.info.threads, photos: [] };
        for (const e of entries) {
          const rgba = new Uint8ClampedArray(await (await fetch(`/native/${e.name}.rgba`)).arrayBuffer());
          const want = new Uint8Array(await (await fetch(`/native/${e.name}.labels.bin`)).arrayBuffer());
          const got = await seg.segment({ data: rgba, width: e.width, height: e.height });
          let mismatches = 0;
          let first = -1;
          for (let i = 0; i < want.length; i++) {
            if (got.labels[i] !== want[i]) {
              mismatches++;
              if (first < 0) first = i;
            }
          }
          // The browser's PNG decoder gives the same bytes as the native one.
          const decoded = await decodePng(`/fasseg/frontal02/test/rgb/${e.name}.png`);
          let decodeDiff = decoded.data.length === rgba.length ? 0 : -1;
          for (let i = 0; decodeDiff >= 0 && i < rgba.length; i++) if (decoded.data[i] !== rgba[i]) decodeDiff++;
          out.photos.push({ name: e.name, n: want.length, len: got.labels.length, mismatches, first, decodeDiff, ms: got.ms });
        }
        seg.dispose();
        return out;
      },
      { modelUrl: `/model/${path.basename(MODEL)}`, threads, entries: native.entries },
    );
    assert.equal(results.build, build);
    for (const p of results.photos) {
      assert.equal(p.len, p.n, `${p.name}: label count`);
      assert.equal(p.mismatches, 0, `${p.name}: ${p.mismatches} of ${p.n} labels differ from native (first at ${p.first})`);
      assert.equal(p.decodeDiff, 0, `${p.name}: browser PNG decoding differs from native in ${p.decodeDiff} bytes`);
    }
    t.diagnostic(`${build} (${results.threads} threads): ${results.photos.map((p) => `${p.name}.png ${p.ms.toFixed(0)} ms`).join(', ')}`);
    await page.close();
  });
}
