import type { NextFunction, Request, Response } from 'express';

export type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/**
 * Several Express middlewares as one, run in order: Express's router then handles one layer instead of one per
 * middleware (per layer and request it matches the path, builds a match object and a params callback: ~10 % of the
 * bytes a ChatKit request allocated, docs/performance.md "ChatKit gateway", experiment 16). `next(err)` or a throw
 * ends the chain with that error, as between layers; each middleware may call `next` later (asynchronously). The
 * function gets `name`, which Nest reads to skip its own parsers (ExpressAdapter.registerParserMiddleware).
 */
export function composeMiddleware(name: string, middlewares: Middleware[]): Middleware {
  const composed = (req: Request, res: Response, done: NextFunction): void => {
    let index = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) return done(err);
      if (index === middlewares.length) return done();
      const middleware = middlewares[index++];
      try {
        middleware(req, res, next);
      } catch (error) {
        done(error);
      }
    };
    next();
  };
  Object.defineProperty(composed, 'name', { value: name });
  return composed;
}
