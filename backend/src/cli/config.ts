import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError, ExitCode, usageError } from './errors';

/** What `parley login` stores. The token is a personal access token (`pat_…`), never a password. */
export interface StoredConfig {
  apiUrl?: string;
  token?: string;
  tokenId?: string;
}

export const DEFAULT_API_URL = 'http://localhost:3000';

/** `$XDG_CONFIG_HOME/parley/config.json`, else `~/.config/parley/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'parley', 'config.json');
}

/** Reads the config file; a missing file is an empty config. Returns a warning when others can read it. */
export function readConfig(file: string): { config: StoredConfig; warning?: string } {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { config: {} };
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`, ExitCode.failure, { code: 'config_unreadable' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON.`, ExitCode.failure, { code: 'config_invalid', hint: 'fix it, or delete it and run `parley login`' });
  }
  const raw = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const config: StoredConfig = { apiUrl: str(raw.apiUrl), token: str(raw.token), tokenId: str(raw.tokenId) };
  const warning = mode & 0o077 && config.token ? `${file} is readable by other users; run \`chmod 600 ${file}\`` : undefined;
  return { config, warning };
}

/**
 * Writes the config with mode 0600 (directory 0700) through a temporary file and a rename, so a
 * crash never leaves a half-written file and the token is never readable by others, not even briefly.
 */
export function writeConfig(file: string, config: StoredConfig): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`Cannot write ${file}: ${(err as Error).message}`, ExitCode.failure, { code: 'config_unwritable' });
  }
}

/** `http(s)://host[:port][/prefix]` without a trailing slash; anything else is a usage error. */
export function normaliseApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`Invalid API URL "${raw}".`, 'use the server base URL, e.g. http://localhost:3000');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw usageError(`Invalid API URL "${raw}".`, 'use an http(s) URL without credentials, query or fragment, e.g. https://parley.example.com');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Where the API URL and the token of this invocation come from. */
export interface Settings {
  apiUrl: string;
  token?: string;
  tokenSource?: 'env' | 'file';
  stored: StoredConfig;
  configFile: string;
}

/**
 * Resolves the API URL (`--api-url` > `PARLEY_API_URL` > config file > default) and the token
 * (`PARLEY_TOKEN` > config file). The stored token is only sent to the URL it was issued by, so
 * `--api-url` pointing elsewhere never leaks it to another server.
 */
export function resolveSettings(apiUrlFlag: string | undefined, env: NodeJS.ProcessEnv, configFile: string, stored: StoredConfig): Settings {
  const apiUrl = normaliseApiUrl(apiUrlFlag || env.PARLEY_API_URL || stored.apiUrl || DEFAULT_API_URL);
  const settings: Settings = { apiUrl, stored, configFile };
  if (env.PARLEY_TOKEN) {
    settings.token = env.PARLEY_TOKEN;
    settings.tokenSource = 'env';
  } else if (stored.token && stored.apiUrl && normaliseApiUrl(stored.apiUrl) === apiUrl) {
    settings.token = stored.token;
    settings.tokenSource = 'file';
  }
  return settings;
}
