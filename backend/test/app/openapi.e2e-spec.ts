import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOpenApiDocument } from '../../src/openapi/openapi';
import { ERROR_CODES } from '../../src/common/errors/error-codes';
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
});
