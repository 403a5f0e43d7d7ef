import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** The app's public origin in tests (`createTestApp` sets PUBLIC_BASE_URL to it). */
export const PUBLIC_ORIGIN = 'http://localhost:3000';
export const CALLBACK_URL = `${PUBLIC_ORIGIN}/api/auth/oidc/callback`;

export interface IdpUser {
  email: string;
  password: string;
  name: string | null;
  emailVerified: boolean;
  sub: string;
}

export interface DevIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: IdpUser[];
  /** Env for `createTestApp` pointing the app at this provider. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const CLI = path.resolve(__dirname, '../../../../ops/dev-idp/cli.mjs');

/**
 * Starts `ops/dev-idp` in a child process on a free port. oidc-provider is ESM-only and must run
 * outside jest's module sandbox; a child process also keeps its state away from the app under test.
 */
export async function startDevIdp(users?: Omit<IdpUser, 'sub'>[]): Promise<DevIdp> {
  const args = [CLI, '--port', '0', '--json', ...(users ? ['--users', JSON.stringify(users)] : [])];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, args, { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<{ issuer: string; clientId: string; clientSecret: string; users: IdpUser[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev IdP did not start in time:\n${stderr}`)), 20000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev IdP exited (${code}):\n${stderr}`));
    });
  });
  return {
    ...ready,
    env: { OIDC_ISSUER: ready.issuer, OIDC_CLIENT_ID: ready.clientId, OIDC_CLIENT_SECRET: ready.clientSecret },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // Closing stdin is the CLI's signal to stop (and what happens if jest dies).
        child.stdin.end();
      }),
  };
}

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  httpOnly: boolean;
  sameSite: string | null;
  secure: boolean;
}

/**
 * A tiny browser for HTTP-level flows: a cookie jar (host + path matching as in RFC 6265, ports
 * ignored as browsers do) and manual redirects. URLs are the ones the browser "sees": requests to
 * `PUBLIC_ORIGIN` are delivered to the app's real loopback address, as a reverse proxy would.
 */
export class Browser {
  private jar: StoredCookie[] = [];
  /** Raw Set-Cookie lines of the last response, for attribute checks. */
  lastSetCookie: string[] = [];

  constructor(private readonly appBaseUrl: string) {}

  async request(url: string, init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<Response> {
    const logical = new URL(url);
    const physical = logical.origin === PUBLIC_ORIGIN ? new URL(logical.pathname + logical.search, this.appBaseUrl) : logical;
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const cookie = this.cookieHeader(logical);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(physical, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) this.store(logical, line);
    return res;
  }

  /**
   * Follows redirects from `url` until a response that is not a redirect, or until the next URL
   * satisfies `stopBefore` (returned without requesting it).
   */
  async follow(url: string, stopBefore: (next: URL) => boolean = () => false, init?: Parameters<Browser['request']>[1]): Promise<{ url: string; response: Response | null }> {
    let current = url;
    let options = init;
    for (let hops = 0; hops < 20; hops++) {
      if (hops > 0 && stopBefore(new URL(current))) return { url: current, response: null };
      const res = await this.request(current, options);
      options = undefined;
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url: current, response: res };
      await res.arrayBuffer();
      current = new URL(location, current).href;
    }
    throw new Error(`Too many redirects from ${url}`);
  }

  cookie(name: string): StoredCookie | undefined {
    return this.jar.find((c) => c.name === name);
  }

  setCookie(cookie: StoredCookie): void {
    this.jar = this.jar.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
    this.jar.push({ ...cookie });
  }

  deleteCookie(name: string): void {
    this.jar = this.jar.filter((c) => c.name !== name);
  }

  private cookieHeader(url: URL): string {
    return this.jar
      .filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, line: string): void {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attrs.find((a) => a.toLowerCase().startsWith(`${key.toLowerCase()}=`))?.split('=')[1];
    const has = (key: string) => attrs.some((a) => a.toLowerCase() === key.toLowerCase());
    const defaultPath = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
    const cookie: StoredCookie = {
      name,
      value,
      host: url.hostname,
      path: attr('Path') ?? defaultPath,
      httpOnly: has('HttpOnly'),
      sameSite: attr('SameSite') ?? null,
      secure: has('Secure'),
    };
    this.jar = this.jar.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
    const maxAge = attr('Max-Age');
    const expires = attr('Expires');
    const expired = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    if (!expired) this.jar.push(cookie);
  }
}

/** The first form on an HTML page whose action ends with `suffix`, and its input names. */
export function formOf(html: string, suffix: string): { action: string; inputs: string[] } {
  for (const match of html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (match[1].endsWith(suffix)) return { action: match[1], inputs: [...match[2].matchAll(/<input[^>]*name="([^"]+)"/g)].map((m) => m[1]) };
  }
  throw new Error(`No form ending in ${suffix} on the page:\n${html}`);
}

/**
 * Drives a sign-in like a user: opens `startUrl` on the app, follows to the provider's login page,
 * submits the form (or cancels), and follows the provider's redirects up to — not into — the
 * app's callback. Returns the callback URL the provider sent the browser to.
 */
export async function signInAtProvider(
  browser: Browser,
  startUrl: string,
  user: { email: string; password: string } | 'cancel',
): Promise<string> {
  const atCallback = (next: URL) => next.href.startsWith(CALLBACK_URL);
  const page = await browser.follow(startUrl, atCallback);
  // Still signed in at the provider (its own session cookie): it sends the browser straight back.
  if (!page.response && user !== 'cancel') return page.url;
  if (!page.response || page.response.status !== 200) throw new Error(`Expected the provider's login page, got ${page.response?.status} at ${page.url}`);
  const html = await page.response.text();
  const form = formOf(html, user === 'cancel' ? '/abort' : '/login');
  const action = new URL(form.action, page.url).href;
  if (user !== 'cancel') expect(form.inputs).toEqual(['email', 'password']);
  const done = await browser.follow(action, atCallback, {
    method: 'POST',
    form: user === 'cancel' ? {} : { email: user.email, password: user.password },
  });
  if (done.response) throw new Error(`The provider did not redirect to the callback (status ${done.response.status} at ${done.url}): ${await done.response.text()}`);
  return done.url;
}
