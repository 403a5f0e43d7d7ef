import type { NextFunction, Request, Response } from 'express';
import { composeMiddleware, Middleware } from './compose-middleware';

const req = {} as Request;
const res = {} as Response;

function run(middleware: Middleware): Promise<unknown> {
  return new Promise((resolve) => middleware(req, res, ((err?: unknown) => resolve(err ?? 'done')) as NextFunction));
}

describe('composeMiddleware', () => {
  it('runs the middlewares in order, synchronous and asynchronous, then the next layer; carries the name Nest reads', async () => {
    const order: string[] = [];
    const composed = composeMiddleware('jsonParser', [
      (_q, _s, next) => {
        order.push('a');
        next();
      },
      (_q, _s, next) => {
        order.push('b');
        setImmediate(next);
      },
      (_q, _s, next) => {
        order.push('c');
        next();
      },
    ]);
    expect(composed.name).toBe('jsonParser');
    await expect(run(composed)).resolves.toBe('done');
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('stops at an error passed to next or thrown, and hands it on', async () => {
    const reached: string[] = [];
    const failure = new Error('bad body');
    const passed = composeMiddleware('x', [(_q, _s, next) => next(failure), () => reached.push('after')]);
    await expect(run(passed)).resolves.toBe(failure);
    const thrown = composeMiddleware('x', [
      () => {
        throw failure;
      },
      () => reached.push('after'),
    ]);
    await expect(run(thrown)).resolves.toBe(failure);
    expect(reached).toEqual([]);
  });
});
