import * as fs from 'node:fs';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import * as express from 'express';
import type { WebConfig } from './web.config';

/** Client-side routes of the canvas host; anything else falls through to the API (and its 404). */
const SPA_ROUTES = /^\/(?:$|login$|register$|sessions$|workflows(?:\/.*)?$|chat\/[^/]+\/?$)/;

/** Entry files that must always be revalidated; hashed chunks are cached for a year. */
const REVALIDATE = new Set(['mf-manifest.json', 'mf-stats.json', 'remoteEntry.js', 'index.html', 'share-link.js', 'embed.js']);

function cacheHeaders(res: express.Response, file: string): void {
  if (REVALIDATE.has(path.basename(file))) res.setHeader('Cache-Control', 'no-cache');
  else if (file.includes(`${path.sep}assets${path.sep}`)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  else res.setHeader('Cache-Control', 'no-cache');
}

/**
 * Serves the built front ends from this server: the widget remote at `/widget/` (cross-origin
 * readable, so any product can load it) and the canvas host at `/` with its client-side routes.
 * Missing builds are skipped, so the API runs without them (tests, API-only deployments).
 */
export function serveFrontends(app: INestApplication, config: WebConfig): void {
  if (!config.serveFrontend) return;
  if (fs.existsSync(path.join(config.widgetDist, 'mf-manifest.json'))) {
    app.use(
      '/widget',
      (_req: express.Request, res: express.Response, next: express.NextFunction) => {
        // Static, credential-free assets: any origin may load the remote.
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        next();
      },
      express.static(config.widgetDist, { index: false, fallthrough: true, setHeaders: cacheHeaders }),
    );
  }
  const index = path.join(config.hostDist, 'index.html');
  if (fs.existsSync(index)) {
    app.use(express.static(config.hostDist, { index: false, fallthrough: true, setHeaders: cacheHeaders }));
    app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || !SPA_ROUTES.test(req.path)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  }
}
