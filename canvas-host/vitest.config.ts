import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts on purpose: the federation plugin rewrites `react` imports into
// share-scope loaders, which only work inside a federated page, not in a unit test.
export default defineConfig({
  cacheDir: 'node_modules/.vite',
  plugins: [react()],
  test: {
    environment: 'happy-dom',
    // Testing Library's automatic cleanup hooks into the global `afterEach`.
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
