import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const MAIN = path.resolve(__dirname, '../../src/main.ts');
const boot = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['-r', '@swc-node/register', MAIN], {
    encoding: 'utf8',
    timeout: 60000,
    env: { PATH: process.env.PATH ?? '', PARLEY_DATA_DIR: ':memory:', PORT: '0', LOG_LEVEL: 'silent', ...env },
  });

/** Production refuses to boot without real secrets, with a message that says which. */
describe('production boot', () => {
  it('fails clearly when PARLEY_SECRET_KEY is missing', () => {
    const r = boot({ NODE_ENV: 'production' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Parley cannot start: Invalid configuration');
    expect(r.stderr).toContain('PARLEY_SECRET_KEY is required in production');
  });

  it('fails clearly when PARLEY_SECRET_KEY still has its example value', () => {
    const r = boot({ NODE_ENV: 'production', PARLEY_SECRET_KEY: 'change-me-to-a-long-random-string-of-32-chars-or-more' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PARLEY_SECRET_KEY still has its example value');
  });

  it('refuses to start without METRICS_TOKEN, so /metrics is never open in production', () => {
    const r = boot({ NODE_ENV: 'production', PARLEY_SECRET_KEY: 's'.repeat(48), PUBLIC_BASE_URL: 'https://parley.example.com' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('METRICS_TOKEN is required in production');
    const example = boot({ NODE_ENV: 'production', PARLEY_SECRET_KEY: 's'.repeat(48), PUBLIC_BASE_URL: 'https://parley.example.com', METRICS_TOKEN: 'change-me-to-a-random-metrics-token' });
    expect(example.status).toBe(1);
    expect(example.stderr).toContain('METRICS_TOKEN still has its example value');
  });
});
