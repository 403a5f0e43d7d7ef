import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CATALOG } from './error-codes';

describe('docs/errors.md', () => {
  const doc = fs.readFileSync(path.resolve(__dirname, '../../../../docs/errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])] as const);

  it('lists every error code with its status, and nothing else', () => {
    const expected = Object.entries(ERROR_CATALOG)
      .map(([code, { status }]) => [code, status] as const)
      .sort();
    expect([...rows].sort()).toEqual(expected);
  });

  it('uses stable snake_case codes', () => {
    for (const code of Object.keys(ERROR_CATALOG)) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});
