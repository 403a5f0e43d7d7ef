import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFilePath, DEFAULT_API_URL, normaliseApiUrl, readConfig, resolveSettings, StoredConfig, writeConfig } from './config';
import { ExitCode } from './errors';

describe('CLI config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'parley-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives under XDG_CONFIG_HOME when it is absolute, else under ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/parley/config.json');
    expect(configFilePath({ XDG_CONFIG_HOME: 'relative' })).toMatch(/\.config\/parley\/config\.json$/);
  });

  it('writes mode 0600 in a 0700 directory, even over a file others could read', () => {
    const file = join(dir, 'parley', 'config.json');
    writeConfig(file, { apiUrl: 'http://a', token: 'pat_x', tokenId: 'id' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'parley')).mode & 0o777).toBe(0o700);
    chmodSync(file, 0o644);
    expect(readConfig(file).warning).toContain('chmod 600');
    writeConfig(file, { apiUrl: 'http://a' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ apiUrl: 'http://a' });
  });

  it('reads a missing file as empty and refuses a corrupt one', () => {
    expect(readConfig(join(dir, 'nope.json'))).toEqual({ config: {} });
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{nope', { mode: 0o600 });
    expect(() => readConfig(file)).toThrow(expect.objectContaining({ exitCode: ExitCode.failure, info: expect.objectContaining({ code: 'config_invalid' }) }));
  });

  it('normalises API URLs and rejects what is not a plain http(s) base URL', () => {
    expect(normaliseApiUrl('http://localhost:3000/')).toBe('http://localhost:3000');
    expect(normaliseApiUrl('https://example.com/parley//')).toBe('https://example.com/parley');
    for (const bad of ['localhost:3000', 'ftp://example.com', 'https://example.com/?x=1', 'https://user:pw@example.com', 'nonsense']) {
      expect(() => normaliseApiUrl(bad)).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
    }
  });

  describe('resolveSettings', () => {
    const stored: StoredConfig = { apiUrl: 'https://a.example', token: 'pat_file', tokenId: 'id' };
    const resolve = (flag: string | undefined, env: NodeJS.ProcessEnv, config: StoredConfig = stored) => {
      const s = resolveSettings(flag, env, '/cfg', config);
      return { apiUrl: s.apiUrl, token: s.token, tokenSource: s.tokenSource };
    };

    it('takes the URL from --api-url, then PARLEY_API_URL, then the file, then the default', () => {
      expect(resolve('https://flag.example', { PARLEY_API_URL: 'https://env.example' }).apiUrl).toBe('https://flag.example');
      expect(resolve(undefined, { PARLEY_API_URL: 'https://env.example' }).apiUrl).toBe('https://env.example');
      expect(resolve(undefined, {}).apiUrl).toBe('https://a.example');
      expect(resolve(undefined, {}, {}).apiUrl).toBe(DEFAULT_API_URL);
    });

    it('prefers PARLEY_TOKEN, and sends the stored token only to the server that issued it', () => {
      expect(resolve(undefined, { PARLEY_TOKEN: 'pat_env' })).toEqual({ apiUrl: 'https://a.example', token: 'pat_env', tokenSource: 'env' });
      expect(resolve(undefined, {})).toEqual({ apiUrl: 'https://a.example', token: 'pat_file', tokenSource: 'file' });
      expect(resolve('https://a.example/', {})).toMatchObject({ token: 'pat_file' });
      expect(resolve('https://b.example', {})).toEqual({ apiUrl: 'https://b.example', token: undefined, tokenSource: undefined });
      expect(resolve(undefined, { PARLEY_API_URL: 'https://b.example' }).token).toBeUndefined();
    });
  });
});
