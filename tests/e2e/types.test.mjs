// (f) TypeScript: the README's examples (tests/types/consumer.ts) type-check against
// the package's declarations, as a consumer resolves them (package.json `exports` →
// index.d.ts, model.d.ts), with `tsc --noEmit --strict` under the oldest and the newest
// TypeScript the package supports (root devDependencies `typescript-5.6` and
// `typescript`). Results must go into `new ImageData(...)` and `new Blob([...])`, which
// TypeScript ≥ 5.9's DOM types only accept for ArrayBuffer-backed arrays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';

const COMPILERS = ['typescript-5.6', 'typescript'];
let dir;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceforest-types-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'web/lib'), path.join(dir, 'node_modules/faceforest-web'), 'dir');
  for (const f of ['consumer.ts', 'misuse.ts', 'tsconfig.json']) fs.copyFileSync(path.join(ROOT, 'tests/types', f), path.join(dir, f));
});
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

function tsc(compiler, file) {
  const bin = path.join(ROOT, 'node_modules', compiler, 'bin/tsc');
  if (!fs.existsSync(bin)) throw new Error(`${compiler} is not installed: npm ci`);
  const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).stdout.trim();
  // The tsconfig's options (strict, bundler resolution, DOM lib) on one file.
  const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, `tsconfig.${file}.json`), JSON.stringify({ ...tsconfig, files: [file] }));
  const r = spawnSync(process.execPath, [bin, '-p', `tsconfig.${file}.json`, '--noEmit', '--strict'], { cwd: dir, encoding: 'utf8' });
  return { version, status: r.status, out: `${r.stdout}${r.stderr}` };
}

for (const compiler of COMPILERS) {
  test(`(f) ${compiler}: the README's examples type-check with --strict`, () => {
    const r = tsc(compiler, 'consumer.ts');
    assert.equal(r.status, 0, `${r.version}:\n${r.out}`);
  });
  test(`(f) ${compiler}: misuse is reported (the declarations are read)`, () => {
    const r = tsc(compiler, 'misuse.ts');
    assert.notEqual(r.status, 0, `${r.version} accepted misuse.ts`);
    const lines = r.out.split('\n').filter((l) => /^misuse\.ts\(\d+,\d+\): error/.test(l)).map((l) => Number(l.match(/\((\d+),/)[1]));
    assert.deepEqual([...new Set(lines)], [6, 7, 8, 9, 10, 11], `${r.version}:\n${r.out}`);
  });
}
