// `npx vite build examples/vite` (output: examples/vite/dist, or --outDir).
import { defineConfig } from 'vite';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const coiSw = here('../../node_modules/coi-serviceworker/coi-serviceworker.min.js');
const model = process.env.FACEFOREST_MODEL ?? here('../../web/models/faceforest.model');

// Ships coi-serviceworker (and the model, if there is one) next to index.html.
const extras = {
  name: 'faceforest-example-extras',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'coi-serviceworker.js', source: fs.readFileSync(coiSw) });
    if (fs.existsSync(model)) this.emitFile({ type: 'asset', fileName: 'faceforest.model', source: fs.readFileSync(model) });
  },
  configureServer(server) {
    server.middlewares.use('/coi-serviceworker.js', (_req, res) => {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(fs.readFileSync(coiSw));
    });
  },
};

export default defineConfig({
  root: here('.'),
  base: './', // works from any sub-path
  resolve: { alias: { 'faceforest-web': here('../../web/lib/index.js') } },
  worker: { format: 'es' }, // the worker imports the wasm glue dynamically
  build: { target: 'es2022' }, // top-level await
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    fs: { allow: [here('../..')] },
  },
  plugins: [extras],
});
