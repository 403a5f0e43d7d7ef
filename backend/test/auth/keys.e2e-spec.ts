import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import request from 'supertest';
import { jwkThumbprint } from '../../src/auth/keys/jwk';
import { SigningKeysService } from '../../src/auth/keys/signing-keys.service';
import { ACCESS_TOKEN_AUDIENCE, SigningService } from '../../src/auth/signing.service';
import { createTestApp, TestApp } from '../setup/test-app';
import { workerDatabaseUrl } from '../setup/test-database';
import { decodeJwt, signUp } from './helpers';

const DAY = 86400;

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 60000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('signing keys in the database', () => {
  let t: TestApp;
  const http = () => request(t.app.getHttpServer());
  const kidOf = (token: string) => decodeJwt(token).header.kid as string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('creates one ES256 key on first start, with the private half encrypted', async () => {
    const rows = await t.dataSource.query(`SELECT kid, algorithm, public_jwk, private_key_encrypted, retired_at FROM signing_keys`);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ algorithm: 'ES256', retired_at: null });
    expect(row.kid).toBe(jwkThumbprint(row.public_jwk));
    const { privateKey } = await t.app.get(SigningKeysService).signingKey();
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    expect(row.private_key_encrypted.includes(der)).toBe(false);
    expect(row.private_key_encrypted.includes(scalar)).toBe(false);
    expect(row.public_jwk.d).toBeUndefined();
  });

  it('serves the public keys at /.well-known/jwks.json (root, not /api), without private members', async () => {
    const res = await http().get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const [row] = await t.dataSource.query(`SELECT kid FROM signing_keys`);
    expect(res.body).toEqual({
      keys: [{ kty: 'EC', crv: 'P-256', x: expect.stringMatching(/^[\w-]{43}$/), y: expect.stringMatching(/^[\w-]{43}$/), kid: row.kid, alg: 'ES256', use: 'sig' }],
    });
    // The published key verifies our tokens (what an external verifier would do).
    const s = await signUp(t.app, 'jwks');
    expect(kidOf(s.accessToken)).toBe(row.kid);
    const publicKey = createPublicKey({ key: res.body.keys[0], format: 'jwk' });
    const [h, p, sig] = s.accessToken.split('.');
    const ok = require('node:crypto').verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
    expect(ok).toBe(true);
    await http().get('/api/.well-known/jwks.json').expect(404);
  });

  it('keeps the same key across restarts', async () => {
    const before = (await http().get('/.well-known/jwks.json')).body;
    const again = await createTestApp({ keepData: true });
    try {
      expect((await request(again.app.getHttpServer()).get('/.well-known/jwks.json')).body).toEqual(before);
    } finally {
      await again.close();
    }
  });

  it('refuses to start with a different PARLEY_SECRET_KEY, naming the problem', async () => {
    await expect(createTestApp({ keepData: true, env: { PARLEY_SECRET_KEY: 'another-secret-key-that-is-long-enough-123' } })).rejects.toThrow(
      /Cannot decrypt signing key .*PARLEY_SECRET_KEY/,
    );
  });

  it('rotates: new key active, old key still published and accepted until retire_after, then gone', async () => {
    const keys = t.app.get(SigningKeysService);
    const s = await signUp(t.app, 'rotation');
    const oldKid = kidOf(s.accessToken);
    const before = Date.now();
    const result = await keys.rotate();
    expect(result.retired?.kid).toBe(oldKid);
    // JWT_MAX_TTL (1 day by default) plus 60 s of skew.
    const retireAfter = result.retired!.retireAfter.getTime();
    expect(retireAfter).toBeGreaterThanOrEqual(before + (DAY + 60) * 1000);
    expect(retireAfter).toBeLessThanOrEqual(Date.now() + (DAY + 60) * 1000);

    const jwks = (await http().get('/.well-known/jwks.json').expect(200)).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwks).toEqual([result.kid, oldKid]);
    const fresh = await signUp(t.app, 'after-rotation');
    expect(kidOf(fresh.accessToken)).toBe(result.kid);
    // Tokens signed by the old key keep working.
    await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(200);

    // Once every token it signed has expired, the old key is neither published nor accepted.
    await t.dataSource.query(`UPDATE signing_keys SET retire_after = now() - interval '1 second' WHERE kid = $1`, [oldKid]);
    await keys.reload();
    expect((await http().get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).toEqual([result.kid]);
    expect((await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(401)).body.code).toBe('token_invalid');
    await http().get('/api/auth/me').set('Authorization', `Bearer ${fresh.accessToken}`).expect(200);

    // The next rotation deletes keys past retirement.
    const next = await keys.rotate();
    expect(next.pruned).toEqual([oldKid]);
    expect((await t.dataSource.query(`SELECT kid FROM signing_keys ORDER BY created_at`)).map((r: { kid: string }) => r.kid)).toEqual([result.kid, next.kid]);
  });

  it('rotates from the command line, and running instances pick the key up on first sight of its kid', async () => {
    const keys = t.app.get(SigningKeysService);
    const activeBefore = (await keys.signingKey()).kid;
    const script = path.resolve(__dirname, '../../src/auth/keys/rotate-keys.ts');
    // Asynchronous on purpose: with one test file jest runs in-band, and the embedded database
    // of the test run lives in this very process.
    const run = await runNode(script, {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: workerDatabaseUrl(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'http://localhost:3000',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const newKid = /Active signing key: (\S+)/.exec(run.stdout)![1];
    expect(run.stdout).toContain(`Retired ${activeBefore}; still accepted until `);

    const [active] = await t.dataSource.query(`SELECT kid FROM signing_keys WHERE retired_at IS NULL`);
    expect(active.kid).toBe(newKid);
    // This instance keeps signing with its cached key for up to a minute; that key stays valid.
    expect((await keys.signingKey()).kid).toBe(activeBefore);

    // Another instance (started after the rotation) signs with the new key; this one has never
    // seen that kid, re-reads the key set once and accepts the token.
    const replica = await createTestApp({ keepData: true });
    try {
      const s = await signUp(replica.app, 'replica');
      expect(kidOf(s.accessToken)).toBe(newKid);
      await http().get('/api/auth/me').set('Authorization', `Bearer ${s.accessToken}`).expect(200);
      expect((await keys.signingKey()).kid).toBe(newKid);
      const { token } = await t.app.get(SigningService).sign({ sub: s.userId }, { audience: ACCESS_TOKEN_AUDIENCE, ttlSeconds: 60 });
      await request(replica.app.getHttpServer()).get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    } finally {
      await replica.close();
    }
  });
});

describe('signing keys from the environment', () => {
  const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const previous = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const previousJwk = { ...previous.publicKey.export({ format: 'jwk' }), kid: 'old-key' };
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        // Newlines escaped, as in a one-line env file.
        JWT_PRIVATE_KEY: current.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n'),
        JWT_KEY_ID: 'env-key-1',
        JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ keys: [previousJwk] }),
      },
    });
  });
  afterAll(() => t?.close());

  it('signs with the given key and publishes it with the previous public keys; nothing is stored', async () => {
    const jwks = (await request(t.app.getHttpServer()).get('/.well-known/jwks.json').expect(200)).body;
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(['env-key-1', 'old-key']);
    expect(jwks.keys[1]).toMatchObject({ x: previousJwk.x, y: previousJwk.y, alg: 'ES256' });
    const s = await signUp(t.app, 'env');
    expect(decodeJwt(s.accessToken).header.kid).toBe('env-key-1');
    expect(await t.dataSource.query(`SELECT kid FROM signing_keys`)).toEqual([]);
    await expect(t.app.get(SigningKeysService).rotate()).rejects.toThrow(/JWT_PRIVATE_KEY/);
  });

  it('accepts tokens signed by a previous key (rotation without downtime)', async () => {
    const s = await signUp(t.app, 'env-prev');
    const { payload } = decodeJwt(s.accessToken);
    const { signEs256 } = await import('./helpers');
    const token = signEs256({ alg: 'ES256', typ: 'JWT', kid: 'old-key' }, payload, previous.privateKey);
    await request(t.app.getHttpServer()).get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
  });
});
