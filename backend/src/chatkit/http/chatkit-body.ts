import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import * as express from 'express';
import { DomainError } from '../../common/errors/domain-error';
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
    await new Promise<void>((resolve, reject) => parser(req, res, (err?: unknown) => (err ? reject(bodyError(err)) : resolve())));
    if (!Buffer.isBuffer(req.body)) req.body = Buffer.alloc(0);
    next();
  }
}

function bodyError(err: unknown): unknown {
  const { type, status } = (err ?? {}) as { type?: string; status?: number };
  if (type === 'entity.too.large') return new DomainError('payload_too_large', 'The request body is too large for this route.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new DomainError('unsupported_media_type', 'Unsupported request body encoding.');
  }
  // Truncated or aborted bodies, broken gzip/deflate/br data: the client's fault, never a 500.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DomainError('invalid_request', 'The request body could not be read (aborted, truncated, or a broken Content-Encoding).');
  }
  return err;
}
