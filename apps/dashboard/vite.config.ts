import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built by the project's scripts (npm test / npm start) into dist/, which the
// gateway serves at `/`. `npm run dev -w @tributary/dashboard` proxies /api to
// a running gateway (GATEWAY_URL, default http://127.0.0.1:8080) for work on the UI.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080' } },
});
