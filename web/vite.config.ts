// Vite build of the dashboard into web/dist, which is committed and served by `freight`.
// The output must be byte-for-byte reproducible (CI rebuilds it and checks `git diff`):
// content-hashed file names, no source maps, no timestamps or absolute paths.
// `npm run dev` proxies /api (HTTP and WebSockets) to a running `freight serve`.
import { defineConfig } from 'vite';

const target = process.env.FREIGHT_URL ?? 'http://127.0.0.1:3001';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    // MapLibre (most of the bytes) in its own file, so a dashboard change leaves it cached.
    rolldownOptions: {
      output: { advancedChunks: { groups: [{ name: 'maplibre', test: /node_modules[\\/]maplibre-gl/ }] } },
    },
  },
  server: {
    proxy: {
      '/api': { target, ws: true, changeOrigin: true },
    },
  },
});
