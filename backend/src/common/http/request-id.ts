import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

type WithId = Request & { id?: string };

/**
 * Accepts a well-formed incoming `X-Request-Id` or generates one, stores it on the request
 * (request logs carry it: logging/request-logging.ts) and echoes it back. Runs before body parsing so every error has one.
 */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  // The header map directly (`req.header()` lower-cases the name on every call).
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
  (req as WithId).id = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
}

export function requestIdOf(req: Request, res?: Response): string {
  const id = (req as WithId).id ?? (res?.getHeader(REQUEST_ID_HEADER) as string | undefined);
  return id ?? 'unknown';
}
