import type { federation } from '@module-federation/vite';

type SharedOption = NonNullable<Parameters<typeof federation>[0]['shared']>;

/**
 * The Module Federation `shared` declaration, imported by the vite.config.ts of BOTH the widget remote and
 * canvas-host so the two sides cannot drift (docs/adr/0001-module-federation-vite-plugin.md). React must be one instance per page: hooks break
 * with two copies, so the remote always runs on the host's React. `requiredVersion` is read from each
 * package.json by the plugin. Hosts outside this repository must declare the same.
 */
export const sharedSingletons = {
  react: { singleton: true },
  'react-dom': { singleton: true },
} satisfies SharedOption;
