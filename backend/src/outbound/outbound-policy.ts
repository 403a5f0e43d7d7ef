import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Agent, Response as UndiciResponse } from 'undici';
import { isSimpleBody, nodeHttpRequest } from './node-http-request';

/** undici (~110 modules) is loaded with the first outbound request, not at start-up (docs/performance.md, ChatKit gateway). */
function undici(): typeof import('undici') {
  return require('undici') as typeof import('undici');
}
import { isPrivateAddress } from './address-policy';
import { OutboundResponseTooLargeError, OutboundUrlRefusedError } from './outbound.errors';

/** Resolves a host name to its addresses (injectable so tests can pin answers). */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface OutboundPolicyOptions {
  /** Allow loopback/private/link-local/metadata targets (development and tests). */
  allowPrivate: boolean;
  /** `host:port` pairs exempt from the address check (lower-case). */
  allowHosts?: string[];
  maxResponseBytes?: number;
  maxRedirects?: number;
  resolver?: Resolver;
}

/** Per-request limits of `fetch`. */
export interface SafeFetchLimits {
  /** Whole request, redirects and body included. Default 30 s. */
  timeoutMs?: number;
  /** Overrides the policy's response byte cap. */
  maxResponseBytes?: number;
}

/** A `fetch`-compatible function (what the OpenAI and MCP SDKs accept). */
export type SafeFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);
/** Headers kept when a redirect leaves the original origin: secrets and identity stay behind. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set(['accept', 'accept-language', 'content-type', 'user-agent', 'mcp-protocol-version']);

const defaultResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Parley's outbound policy (docs/security.md, Outbound requests): only http(s), and unless `allowPrivate`, never a
 * loopback, private, link-local, CGNAT, metadata or unspecified address — checked on the literal
 * host, on every DNS answer at connect time (so a rebinding name cannot slip past a pre-check)
 * and again on every redirect hop. Responses are capped in bytes and time.
 */
export class OutboundPolicy {
  readonly allowPrivate: boolean;
  private readonly allowHosts: Set<string>;
  private readonly maxResponseBytes: number;
  private readonly maxRedirects: number;
  private readonly resolver: Resolver;
  private guardedAgent: Agent | undefined;
  private plainAgent: Agent | undefined;
  private nodeAgents: { guarded: NodeAgents; plain: NodeAgents } | undefined;

  constructor(options: OutboundPolicyOptions) {
    this.allowPrivate = options.allowPrivate;
    this.allowHosts = new Set((options.allowHosts ?? []).map((h) => h.toLowerCase()));
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.resolver = options.resolver ?? defaultResolver;
  }

  /**
   * The connection's DNS lookup for guarded connections: resolves the name and refuses it when any
   * address is private (`resolvePublic`), so the socket only ever connects to an address checked here.
   * Node calls it for names only, never for IP literals: those are checked before connecting (`checkStatic`).
   */
  private readonly guardedLookup = (hostname: string, opts: LookupOneOptions | { all?: boolean }, callback: LookupCallback): void => {
    this.resolvePublic(hostname).then(
      (addresses) => {
        const all = addresses.map((address) => ({ address, family: isIP(address) }));
        if ((opts as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, all);
        else callback(null, all[0].address, all[0].family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };

  /** undici's agent for bodies node:http does not send (FormData, streams): connects only to addresses the policy accepts. Created on first use. */
  private get guarded(): Agent {
    return (this.guardedAgent ??= new (undici().Agent)({ keepAliveTimeout: 10_000, connect: { lookup: this.guardedLookup as never } }));
  }

  /**
   * The node:http keep-alive agents (the transport of string/bytes requests): `guarded` connects through
   * `guardedLookup`, `plain` (private targets allowed, exempt hosts) through the system's. Created on first use.
   */
  private agentFor(url: URL, open: boolean): http.Agent {
    this.nodeAgents ??= {
      guarded: {
        'http:': new http.Agent({ keepAlive: true, timeout: 10_000, lookup: this.guardedLookup as never }),
        'https:': new https.Agent({ keepAlive: true, timeout: 10_000, lookup: this.guardedLookup as never }),
      },
      plain: { 'http:': new http.Agent({ keepAlive: true, timeout: 10_000 }), 'https:': new https.Agent({ keepAlive: true, timeout: 10_000 }) },
    };
    return this.nodeAgents[open ? 'plain' : 'guarded'][url.protocol as 'http:' | 'https:'];
  }

  private get plain(): Agent {
    return (this.plainAgent ??= new (undici().Agent)({ keepAliveTimeout: 10_000 }));
  }

  /**
   * Checks a URL before it is saved or requested: scheme, literal addresses, and (unless private
   * targets are allowed or the host is exempt) every address the name resolves to.
   * Throws `OutboundUrlRefusedError`.
   */
  async check(input: string | URL): Promise<URL> {
    const url = this.parse(input);
    if (this.allowPrivate || this.isExempt(url)) return url;
    await this.resolvePublic(hostOf(url));
    return url;
  }

  /** Scheme and literal-address checks only (no DNS); the connection's lookup does the rest. */
  private checkStatic(url: URL): void {
    if (this.allowPrivate || this.isExempt(url)) return;
    const host = hostOf(url);
    if (isIP(host) && isPrivateAddress(host)) throw new OutboundUrlRefusedError(`${host} is a private, loopback or link-local address`, { host });
  }

  private parse(input: string | URL): URL {
    let url: URL;
    try {
      url = input instanceof URL ? input : new URL(input);
    } catch {
      throw new OutboundUrlRefusedError('not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundUrlRefusedError('only http and https URLs are allowed');
    if (url.username || url.password) throw new OutboundUrlRefusedError('credentials in URLs are not allowed');
    return url;
  }

  private isExempt(url: URL): boolean {
    if (this.allowHosts.size === 0) return false;
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.allowHosts.has(`${hostOf(url).toLowerCase()}:${port}`);
  }

  /** The addresses of `hostname`, refusing the name when any of them is private. */
  private async resolvePublic(hostname: string): Promise<string[]> {
    if (isIP(hostname)) {
      if (!this.allowPrivate && isPrivateAddress(hostname)) throw new OutboundUrlRefusedError(`${hostname} is a private, loopback or link-local address`, { host: hostname });
      return [hostname];
    }
    let addresses: string[];
    try {
      addresses = await this.resolver(hostname);
    } catch {
      throw new OutboundUrlRefusedError(`${hostname} does not resolve`, { host: hostname });
    }
    if (addresses.length === 0) throw new OutboundUrlRefusedError(`${hostname} does not resolve`, { host: hostname });
    if (!this.allowPrivate && addresses.some(isPrivateAddress)) {
      throw new OutboundUrlRefusedError(`${hostname} resolves to a private, loopback or link-local address`, { host: hostname });
    }
    return addresses;
  }

  /** A `fetch` that applies this policy with `limits`; see `request`. */
  fetcher(limits: SafeFetchLimits = {}): SafeFetch {
    return (input, init) => this.request(input, init, limits);
  }

  /**
   * `fetch` under the policy: redirects followed by hand (at most `maxRedirects`, each hop
   * checked, secrets dropped when the origin changes), the whole exchange bounded by
   * `timeoutMs` and the caller's signal, and the body cut off after `maxResponseBytes`. String and
   * byte bodies go over node:http (keep-alive agents above); other bodies (FormData, streams) over undici.
   */
  async request(input: string | URL | Request, init: RequestInit = {}, limits: SafeFetchLimits = {}): Promise<Response> {
    let url = this.parse(typeof input === 'string' || input instanceof URL ? input : input.url);
    const timeout = AbortSignal.timeout(limits.timeoutMs ?? 30_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    let headers = new Headers(init.headers);
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      this.checkStatic(url);
      const open = this.allowPrivate || this.isExempt(url);
      const maxBytes = limits.maxResponseBytes ?? this.maxResponseBytes;
      if (isSimpleBody(body)) {
        let answer: Response;
        try {
          answer = await nodeHttpRequest(url, { method, headers, body, signal }, { agent: this.agentFor(url, open), maxResponseBytes: maxBytes, tooLarge: (limit) => new OutboundResponseTooLargeError(limit) });
        } catch (error) {
          throw unwrapRefusal(error);
        }
        const to = answer.headers.get('location');
        if (!REDIRECTS.has(answer.status) || !to) return answer;
        await answer.body?.cancel().catch(() => undefined);
        ({ url, method, body, headers } = this.nextHop(hop, url, to, answer.status, method, body, headers, origin));
        continue;
      }
      const dispatcher = open ? this.plain : this.guarded;
      let res: UndiciResponse;
      try {
        res = await undici().fetch(url, {
          method,
          headers: headers as unknown as Record<string, string>,
          body: body as never,
          signal,
          redirect: 'manual',
          dispatcher,
          ...(body && typeof body === 'object' && 'getReader' in body ? { duplex: 'half' } : {}),
        });
      } catch (error) {
        throw unwrapRefusal(error);
      }
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return this.capped(res, maxBytes) as unknown as Response;
      await res.body?.cancel().catch(() => undefined);
      ({ url, method, body, headers } = this.nextHop(hop, url, location, res.status, method, body, headers, origin));
    }
  }

  /** The request a redirect leads to: target parsed (checked again at the next hop), method/body/headers as fetch would turn them. */
  private nextHop(
    hop: number,
    url: URL,
    location: string,
    status: number,
    method: string,
    body: RequestInit['body'],
    headers: Headers,
    origin: string,
  ): { url: URL; method: string; body: RequestInit['body']; headers: Headers } {
    if (hop >= this.maxRedirects) throw new OutboundUrlRefusedError(`more than ${this.maxRedirects} redirects`);
    const next = this.parse(new URL(location, url));
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers.delete('content-type');
      headers.delete('content-length');
    }
    if (next.origin !== origin) headers = safeHeaders(headers);
    return { url: next, method, body, headers };
  }

  private capped(res: UndiciResponse, maxBytes: number): UndiciResponse {
    if (!res.body || NULL_BODY.has(res.status)) return res;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      void res.body.cancel().catch(() => undefined);
      throw new OutboundResponseTooLargeError(maxBytes);
    }
    let seen = 0;
    const limited = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new OutboundResponseTooLargeError(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new (undici().Response)(limited as never, { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  async close(): Promise<void> {
    for (const agents of this.nodeAgents ? [this.nodeAgents.guarded, this.nodeAgents.plain] : []) {
      agents['http:'].destroy();
      agents['https:'].destroy();
    }
    await Promise.all([this.plainAgent?.close(), this.guardedAgent?.close()]);
  }
}

type NodeAgents = { 'http:': http.Agent; 'https:': https.Agent };
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function safeHeaders(headers: Headers): Headers {
  const kept = new Headers();
  headers.forEach((value, name) => {
    if (CROSS_ORIGIN_SAFE_HEADERS.has(name.toLowerCase())) kept.set(name, value);
  });
  return kept;
}

/** undici reports a refused lookup as `TypeError: fetch failed` with our error as its cause. */
function unwrapRefusal(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof OutboundUrlRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}
