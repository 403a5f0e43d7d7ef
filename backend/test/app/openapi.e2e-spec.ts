import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOpenApiDocument } from '../../src/openapi/openapi';
import { ERROR_CATALOG, ERROR_CODES, ErrorCode } from '../../src/common/errors/error-codes';
import { createTestApp, TestApp } from '../setup/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('matches the committed docs/openapi.json (run `npm run openapi` after changing the API)', () => {
    const committed = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../docs/openapi.json'), 'utf8'));
    const current = JSON.parse(JSON.stringify(buildOpenApiDocument(t.app)));
    expect(current).toEqual(committed);
  });

  it('declares the error schema once, with every error code', () => {
    const doc = buildOpenApiDocument(t.app);
    const schemas = doc.components?.schemas as Record<string, { properties?: Record<string, { allOf?: { $ref: string }[] }>; enum?: string[] }>;
    expect(schemas.ErrorResponse.properties?.code.allOf).toEqual([{ $ref: '#/components/schemas/ErrorCode' }]);
    expect(schemas.ErrorCode.enum).toEqual(ERROR_CODES);
  });

  describe('every operation lists the errors it can produce', () => {
    type Operation = {
      responses: Record<string, { description?: string }>;
      security?: unknown[];
      requestBody?: { content?: Record<string, unknown> };
    };
    const operations = (): Array<{ name: string; op: Operation }> => {
      const doc = buildOpenApiDocument(t.app);
      return Object.entries(doc.paths).flatMap(([route, item]) =>
        Object.entries(item as Record<string, Operation>).map(([method, op]) => ({ name: `${method.toUpperCase()} ${route}`, op })),
      );
    };
    /** The codes an error response's description names (`ApiErrors` writes them as a list of `code`s). */
    const codesOf = (op: Operation, status: number): string[] => [...(op.responses[String(status)]?.description ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    /** Health probes are the only routes outside the rate limiter (docs/rate-limits.md). */
    const UNLIMITED = new Set(['GET /healthz', 'GET /readyz']);

    it('at least one error response each, including GET /api/auth/session and GET /api/config', () => {
      const missing = operations()
        .filter(({ op }) => !Object.keys(op.responses).some((status) => Number(status) >= 400))
        .map(({ name }) => name);
      expect(missing).toEqual([]);
      const byName = new Map(operations().map(({ name, op }) => [name, op]));
      for (const name of ['GET /api/auth/session', 'GET /api/config']) {
        expect({ name, codes: codesOf(byName.get(name)!, 429) }).toEqual({ name, codes: ['rate_limited'] });
        expect({ name, codes: codesOf(byName.get(name)!, 500) }).toEqual({ name, codes: ['internal_error'] });
      }
    });

    it('the rate limiter’s answers on every limited route, auth errors wherever credentials are required, body errors wherever a JSON body is read', () => {
      const problems: string[] = [];
      for (const { name, op } of operations()) {
        const has = (status: number, code: ErrorCode) => codesOf(op, status).includes(code) || problems.push(`${name}: ${status} ${code}`);
        has(500, 'internal_error');
        if (!UNLIMITED.has(name)) {
          has(429, 'rate_limited');
          has(503, 'rate_limit_unavailable');
        }
        if (op.security?.length) has(401, 'unauthenticated');
        if (op.requestBody?.content?.['application/json'] && !name.startsWith('POST /api/chatkit')) {
          has(400, 'invalid_json');
          has(400, 'validation_failed');
          has(413, 'payload_too_large');
        }
        // Each response lists only codes of its own status.
        for (const status of Object.keys(op.responses).filter((s) => Number(s) >= 400)) {
          for (const code of codesOf(op, Number(status))) {
            if (ERROR_CATALOG[code as ErrorCode]?.status !== Number(status)) problems.push(`${name}: ${code} under ${status}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  });
});
