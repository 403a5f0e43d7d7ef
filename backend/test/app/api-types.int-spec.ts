import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BACKEND = join(__dirname, '..', '..');
const OPENAPI = join(BACKEND, '..', 'docs', 'openapi.json');
const SCHEMA = join(BACKEND, '..', 'packages', 'api-types', 'schema.d.ts');

/*
 * Regenerates the REST types (`@parley/api-types`, used by the CLI and the owner app) in memory with
 * openapi-typescript's Node API, with the options `npm run gen:api` passes to its CLI (`--default-non-nullable false`: a documented default
 * does not make a request field required). openapi-typescript pulls ESM-only packages, which
 * jest's CommonJS sandbox cannot load, so it runs in a plain Node child process.
 */
const GENERATE = `
import { readFileSync } from 'node:fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
const spec = JSON.parse(readFileSync(process.argv[1], 'utf8'));
process.stdout.write(COMMENT_HEADER + astToString(await openapiTS(spec, { defaultNonNullable: false })));
`;

describe('REST API types (packages/api-types/schema.d.ts)', () => {
  it('match docs/openapi.json', () => {
    const generated = spawnSync(process.execPath, ['--input-type=module', '-e', GENERATE, OPENAPI], {
      cwd: BACKEND,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect({ status: generated.status, stderr: generated.stderr }).toEqual({ status: 0, stderr: '' });
    const committed = readFileSync(SCHEMA, 'utf8');
    if (committed !== generated.stdout) {
      const a = committed.split('\n');
      const b = generated.stdout.split('\n');
      const found = a.findIndex((text, i) => text !== b[i]);
      const line = found === -1 ? Math.min(a.length, b.length) : found;
      throw new Error(
        `packages/api-types/schema.d.ts is stale: run \`npm run openapi && npm run gen:api\` at the repository root.\n` +
          `First difference at line ${line + 1}:\n  committed: ${a[line]}\n  generated: ${b[line]}`,
      );
    }
  });
});
