// The settings web/lib/README.md asks a Vite project for (no import of 'vite', so the
// test can run the repository's Vite on it).
export default {
  worker: { format: 'es' },
  build: { target: 'es2022' },
  server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  logLevel: 'warn',
};
