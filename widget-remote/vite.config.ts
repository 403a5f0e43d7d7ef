import { federation } from '@module-federation/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { sharedSingletons } from './federation.shared.ts';
import { WIDGET_FEDERATION } from './src/contract.ts';

/**
 * The chat widget as a Module Federation remote. The backend serves `dist/` under `/widget/`; hosts read
 * `/widget/mf-manifest.json` (URL given by `/api/config`) and load `./ChatWidget` or `./mount` at runtime.
 */
export default defineConfig({
  base: '/widget/',
  // Own dep cache per app: two MF apps sharing one `.vite` poison each other's dev cache (DEPENDENCIES.md gotcha 10).
  cacheDir: 'node_modules/.vite',
  logLevel: 'warn',
  plugins: [
    react(),
    federation({
      name: WIDGET_FEDERATION.name,
      filename: 'remoteEntry.js',
      // Resolve chunk URLs from wherever the manifest was fetched, so hosts on other origins load this
      // remote's files from the backend, not from their own origin.
      publicPath: 'auto',
      manifest: true,
      exposes: {
        [WIDGET_FEDERATION.exposes.ChatWidget]: './src/ChatWidget.tsx',
        [WIDGET_FEDERATION.exposes.mount]: './src/mount.tsx',
      },
      shared: sharedSingletons,
      dts: false,
    }),
  ],
  // Dev (`npm run dev -w widget-remote`): a fixed origin, so the dev manifest's URLs are absolute and a host dev
  // server can load http://localhost:5174/widget/mf-manifest.json.
  server: { port: 5174, strictPort: true, origin: 'http://localhost:5174' },
  build: {
    target: 'esnext',
    // Only the federation entry is built: index.html is the development page (served by `vite` dev) and is not deployed.
    rolldownOptions: { input: [] },
    reportCompressedSize: false,
  },
});
