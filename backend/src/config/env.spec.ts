import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, envBool, envInt } from './env';
import { applyHeapGrowth, DEFAULT_HEAP_GROWING_PERCENT, loadAppConfig, parseTrustProxy } from './app.config';
import { loadDatabaseConfig } from '../database/database.config';
import { ENV_REGISTRY } from '../../test/config/env-registry';

describe('app config', () => {
  it('has working defaults for a fresh clone', () => {
    const c = loadAppConfig({});
    expect(c).toMatchObject({ nodeEnv: 'development', port: 3000, host: '127.0.0.1', publicBaseUrl: 'http://localhost:3000' });
    expect(c.corsOrigins).toEqual(['http://localhost:3000']);
    expect(c.heapGrowingPercent).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(applyHeapGrowth({})).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(applyHeapGrowth({ HEAP_GROWING_PERCENT: '0' })).toBe(0);
    expect(c.trustProxy).toBe(false);
  });

  it('refuses production without a secret, naming the variable', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(/PARLEY_SECRET_KEY is required in production/);
  });

  it('refuses production with the example secret', () => {
    const example = ENV_REGISTRY.app.find((v) => v.name === 'PARLEY_SECRET_KEY')!.example;
    expect(() => loadAppConfig({ NODE_ENV: 'production', PARLEY_SECRET_KEY: example })).toThrow(/still has its example value/);
  });

  it('accepts production with a real secret', () => {
    const c = loadAppConfig({ NODE_ENV: 'production', PARLEY_SECRET_KEY: 'x'.repeat(40), PUBLIC_BASE_URL: 'https://chat.example.com/' });
    expect(c.host).toBe('0.0.0.0');
    expect(c.publicBaseUrl).toBe('https://chat.example.com');
  });

  it('rejects malformed values with a clear message', () => {
    expect(() => loadAppConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadAppConfig({ PORT: '70000' })).toThrow(/app\.port/);
    expect(() => loadAppConfig({ LOG_LEVEL: 'loud' })).toThrow(/app\.logLevel/);
    expect(() => loadAppConfig({ HEAP_GROWING_PERCENT: '5000' })).toThrow(/app\.heapGrowingPercent/);
    expect(() => applyHeapGrowth({ HEAP_GROWING_PERCENT: 'lots' })).toThrow(/HEAP_GROWING_PERCENT must be an integer/);
    expect(() => envBool('X', false, { X: 'maybe' })).toThrow(/X must be a boolean/);
    expect(envInt('X', 5, {})).toBe(5);
  });

  it('parses TRUST_PROXY as off, a hop count or an address list, and refuses a blanket true', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => parseTrustProxy('true')).toThrow(/hop count/);
  });

  it('resolves the embedded data directory', () => {
    expect(loadDatabaseConfig({}).dataDir).toBe(path.resolve('.parley/data'));
    expect(loadDatabaseConfig({ PARLEY_DATA_DIR: ':memory:' }).dataDir).toBeNull();
  });
});

describe('.env.example', () => {
  const file = fs.readFileSync(path.resolve(__dirname, '../../../.env.example'), 'utf8');
  const documented = new Map(
    file
      .split('\n')
      .map((l) => l.match(/^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const vars = Object.values(ENV_REGISTRY).flat();

  it('documents every variable the config reads, with its example value', () => {
    for (const v of vars) {
      expect({ name: v.name, documented: documented.has(v.name) }).toEqual({ name: v.name, documented: true });
      expect({ name: v.name, value: documented.get(v.name) }).toEqual({ name: v.name, value: v.example });
    }
  });

  it('documents nothing the config does not read', () => {
    const known = new Set(vars.map((v) => v.name));
    expect([...documented.keys()].filter((k) => !known.has(k))).toEqual([]);
  });
});

describe('README configuration table', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  it('lists every variable', () => {
    const missing = Object.values(ENV_REGISTRY)
      .flat()
      .map((v) => v.name)
      .filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
