// Builds the live dashboard (web/) into dist/web, which the gateway serves at `/`. Everything the page
// loads is a same-origin file: no inline script, no CDN, so a strict Content-Security-Policy holds.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The polyfill would be bundled, not inlined, but every browser the page targets has modulepreload.
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
});
