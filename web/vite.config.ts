// Builds the gateway's browser pages (web/) into dist/web, which the gateway serves: the live dashboard at `/`
// and GraphiQL at `/graphql`. Everything a page loads is a same-origin file (scripts, styles, Monaco's
// workers): no inline script, no CDN, so a strict Content-Security-Policy holds.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    rollupOptions: {
      // React libraries mark modules "use client" for server frameworks; a browser bundle has no use for it.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        dashboard: fileURLToPath(new URL('index.html', import.meta.url)),
        graphiql: fileURLToPath(new URL('graphiql.html', import.meta.url)),
      },
    },
    // The polyfill would be bundled, not inlined, but every browser the page targets has modulepreload.
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
    // GraphiQL's editor (Monaco) is one large bundle by design, loaded by /graphql only.
    chunkSizeWarningLimit: 6000,
  },
  worker: { format: 'es' },
});
