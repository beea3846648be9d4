import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Where `npm run dev:dashboard` forwards API calls: a Hookyard started with `npm start`. */
const apiTarget = process.env.HOOKYARD_DEV_API ?? 'http://127.0.0.1:8071';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Every browser that runs the app supports module preloading; the polyfill would only add code.
    modulePreload: { polyfill: false },
    // The server sends a strict CSP (no inline script or style): never inline assets into the document.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/ingest', '/oauth'].map((prefix) => [prefix, { target: apiTarget, changeOrigin: false }])),
  },
});
