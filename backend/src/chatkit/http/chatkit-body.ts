import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as express from 'express';
import { bodyReadFailure } from '../../common/http/body-errors';
import { chatkitConfig } from '../chatkit.config';

/**
 * Whether a request's body is read by the ChatKit routes themselves instead of the app-wide JSON
 * parser: the protocol endpoint (the reference parses the raw body whatever its content type, and
 * base64 audio needs a larger limit) and attachment uploads (raw bytes of any type).
 */
export function chatkitReadsOwnBody(req: { method: string; path: string }): boolean {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  return (req.method === 'POST' && path === '/api/chatkit') || (req.method === 'PUT' && path.startsWith('/api/chatkit/uploads/'));
}

const TOO_LARGE = 'The request body is too large for this route.';

/** Reads the body of the ChatKit routes as a Buffer (`req.body`), with the route's own size limit. */
@Injectable()
export class ChatKitBodyParser implements NestMiddleware {
  private readonly protocol: express.RequestHandler;
  private readonly uploads: express.RequestHandler;

  constructor(@Inject(chatkitConfig.KEY) config: ConfigType<typeof chatkitConfig>) {
    // `type: () => true`: every content type, like the reference server.
    this.protocol = express.raw({ type: () => true, limit: config.bodyLimitBytes });
    this.uploads = express.raw({ type: () => true, limit: config.uploadLimitBytes });
  }

  /** Resolves once the body is read; rejects (so Nest's exception filter answers) when it is too large or broken. */
  async use(req: express.Request, res: express.Response, next: express.NextFunction): Promise<void> {
    const parser = req.method === 'PUT' ? this.uploads : this.protocol;
    await new Promise<void>((resolve, reject) => parser(req, res, (err?: unknown) => (err ? reject(bodyReadFailure(err, { unreadable: 'invalid_request', tooLarge: TOO_LARGE }) ?? err) : resolve())));
    req.body = Buffer.isBuffer(req.body) ? ownBuffer(req.body) : Buffer.alloc(0);
    next();
  }
}

/**
 * `body` in memory of its own. A small body is read into a slice of a shared 8 KiB pool slab
 * (`Buffer.allocUnsafe`), and the request object keeps `req.body` for as long as the response is
 * open: an idle chat stream would keep a whole slab alive for a body of a few hundred bytes.
 */
export function ownBuffer(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  const copy = Buffer.allocUnsafeSlow(body.byteLength);
  body.copy(copy);
  return copy;
}
