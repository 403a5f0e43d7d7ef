import { federation } from '@module-federation/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { sharedSingletons } from '../widget-remote/federation.shared.ts';

/**
 * The owner app and the public chat page, a Module Federation host. It has no static remotes: the widget's manifest
 * URL comes from runtime config and is registered by src/remote/loadWidget.ts.
 */
export default defineConfig({
  base: '/',
  // Own dep cache per app: two MF apps sharing one `.vite` poison each other's dev cache (DEPENDENCIES.md gotcha 10).
  cacheDir: 'node_modules/.vite',
  logLevel: 'warn',
  plugins: [
    react(),
    federation({
      name: 'parley_canvas',
      remotes: {},
      // The same declaration object the widget remote uses, so the singletons cannot drift apart.
      shared: sharedSingletons,
      dts: false,
    }),
  ],
  // Dev (`npm run dev -w canvas-host`): the API of a backend on :3000 and the remote's dev server on :5174, so the
  // pages stay same-origin (cookies, Origin checks) as in production.
  server: {
    port: 5173,
    proxy: { '/api': 'http://localhost:3000', '/widget': 'http://localhost:5174' },
  },
  build: {
    target: 'esnext',
    // dist/.vite/manifest.json: the chunk graph `npm run size` measures the initial JS of each app from.
    manifest: true,
    reportCompressedSize: false,
  },
});
