import { Writable } from 'node:stream';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import { LOG_DESTINATION } from '../../src/logging/log-destination';
import { createTestApp, TestApp } from '../setup/test-app';

/** Its own file: nestjs-pino keeps one root logger per module registry, so it cannot share a process with logging.e2e-spec. */
class Capture extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.chunks.push(chunk.toString());
    done();
  }
}

const SECRETS = {
  authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.SECRET-JWT-PAYLOAD.sig',
  cookie: 'parley_access=SECRET-COOKIE-VALUE; parley_oauth=SECRET-OAUTH',
  'x-parley-publish-token': 'pub_SECRETSECRETSECRETSECRETSECRETSECRETSECRET12',
  'x-parley-visitor': 'SECRET-VISITOR-TOKEN',
};

describe('development logs (LOG_FORMAT=pretty)', () => {
  const capture = new Capture();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
      override: (b) => b.overrideProvider(LOG_DESTINATION).useValue(capture),
    });
  });
  afterAll(() => t.close());

  it('prints one readable line per entry, credentials still redacted, and Nest module noise only at debug', async () => {
    await request(t.app.getHttpServer()).get('/no-such-route').set(SECRETS).set('X-Request-Id', 'pretty-1').expect(404);
    const logger = t.app.get(Logger);
    logger.log('Mapped {/api/x, GET} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Something worth saying', 'Bootstrap');
    // pino writes asynchronously: wait until the last line has come through.
    for (let i = 0; i < 200 && !capture.chunks.join('').includes('Something worth saying'); i++) await new Promise((r) => setTimeout(r, 5));
    const lines = capture.chunks.join('').split('\n').filter(Boolean);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d (INFO|WARN) +GET \/no-such-route 404 \d+ms {2}req=pretty-1/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d INFO {2}\[Bootstrap\] Something worth saying$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(lines.join('\n')).not.toMatch(/RouterExplorer|InstanceLoader/);
    for (const secret of ['SECRET-JWT-PAYLOAD', 'SECRET-COOKIE-VALUE', 'pub_SECRET', 'SECRET-VISITOR-TOKEN']) expect(lines.join('\n')).not.toContain(secret);
  });
});

