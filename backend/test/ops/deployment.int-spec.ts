import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { loadAuthConfig } from '../../src/auth/auth.config';
import { loadOidcConfig } from '../../src/auth/oidc/oidc.config';
import { loadOutboundConfig } from '../../src/outbound/outbound.config';
import { loadChatKitConfig } from '../../src/chatkit/chatkit.config';
import { loadRunnersConfig } from '../../src/chatkit/runners/runners.config';
import { loadAppConfig, parseTrustProxy } from '../../src/config/app.config';
import type { EnvVar } from '../../src/config/env';
import { ENV_REGISTRY } from '../../src/config/env-registry';
import { loadFeaturesConfig } from '../../src/config/features.config';
import { loadDatabaseConfig } from '../../src/database/database.config';
import { loadOperationsConfig } from '../../src/operations/operations.config';
import { loadRateLimitConfig } from '../../src/ratelimit/ratelimit.config';
import { loadRetentionConfig } from '../../src/transcript/owner/transcript-retention.config';
import { loadWebConfig, webConfig } from '../../src/web/web.config';
import { createTestApp, TestApp } from '../setup/test-app';
import {
  children,
  composeSeconds,
  deep,
  evaluateMap,
  interpolate,
  interpolations,
  NginxDirective,
  nginxSeconds,
  parseNginx,
  parsePortMapping,
  sizeBytes,
} from './config-files';

/**
 * The deployment files — docker-compose.yml, ops/proxy/*.conf, ops/k8s/*.yaml — checked against the code they deploy:
 * the configuration registry and loaders, the ports, health routes and static-file behaviour of the backend.
 */

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

// ---- the configuration the backend understands -------------------------------------------------------------------

const REGISTRY: EnvVar[] = Object.values(ENV_REGISTRY).flat();
const REGISTERED = new Set(REGISTRY.map((v) => v.name));
const registryVar = (name: string): EnvVar => {
  const v = REGISTRY.find((x) => x.name === name);
  if (!v) throw new Error(`${name} is not in ENV_REGISTRY`);
  return v;
};

/** One loader per registry group: together they are everything the backend validates at boot. */
const LOADERS: Record<string, (source: NodeJS.ProcessEnv) => unknown> = {
  app: loadAppConfig,
  database: loadDatabaseConfig,
  auth: loadAuthConfig,
  oidc: loadOidcConfig,
  features: loadFeaturesConfig,
  web: loadWebConfig,
  retention: loadRetentionConfig,
  chatkit: loadChatKitConfig,
  runners: loadRunnersConfig,
  rateLimit: loadRateLimitConfig,
  operations: loadOperationsConfig,
  outbound: loadOutboundConfig,
};
const loadAll = (source: NodeJS.ProcessEnv): void => Object.values(LOADERS).forEach((load) => load(source));

/** The secret variables a production boot refuses to go without, given the rest of `env` (e.g. OIDC on or off). */
function productionRequiredSecrets(env: NodeJS.ProcessEnv): string[] {
  return REGISTRY.filter((v) => v.secret).flatMap((v) => {
    const without: NodeJS.ProcessEnv = { ...env, NODE_ENV: 'production' };
    delete without[v.name];
    try {
      loadAll(without);
      return [];
    } catch (err) {
      return (err as Error).message.includes(v.name) ? [v.name] : [];
    }
  });
}

/** Values that must never be written into a manifest: registry secrets and URLs that carry passwords. */
const SENSITIVE = new Set([...REGISTRY.filter((v) => v.secret).map((v) => v.name), 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN', 'JWT_PRIVATE_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENAI_COMPATIBLE_API_KEY']);

const fakeSecret = (): string => randomBytes(36).toString('base64url');

/** A `const NAME = 5_000;` of a backend source file, in seconds. */
function sourceConstantSeconds(file: string, name: string): number {
  const m = new RegExp(`const ${name} = ([\\d_]+);`).exec(read(`backend/src/${file}`));
  if (!m) throw new Error(`backend/src/${file} no longer defines ${name}: update this test`);
  return Number(m[1].replace(/_/g, '')) / 1000;
}

/**
 * What a shutdown takes beyond SHUTDOWN_GRACE_SECONDS: ended streams writing their last event, other in-flight
 * requests finishing, and (2 s allowed) closing PostgreSQL and Redis.
 */
const SHUTDOWN_WRAP_UP_SECONDS =
  sourceConstantSeconds('chatkit/streams/chat-streams.ts', 'WRAP_UP_MS') + sourceConstantSeconds('operations/graceful-shutdown.ts', 'CLOSE_TIMEOUT_MS') + 2;

// ---- docker-compose.yml --------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  ports?: unknown[];
  expose?: (string | number)[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  restart?: string;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as Compose;
const services = compose.services;
const composeHeader = composeText.split('\n').filter((line, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('#'))).join('\n');

function envOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        if (eq < 1) throw new Error(`compose: environment entry without a value: ${entry}`);
        return [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
const commandOf = (service: ComposeService): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
const healthTest = (service: ComposeService): string => {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
};
const dependsOn = (service: ComposeService): Record<string, string | undefined> => {
  const d = service.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v?.condition]));
};
const servicesWhere = (pred: (s: ComposeService, name: string) => boolean): string[] =>
  Object.entries(services)
    .filter(([name, s]) => pred(s, name))
    .map(([name]) => name);

const BACKENDS = servicesWhere((s) => s.build?.target === 'runtime' && s.command === undefined);
const MIGRATORS = servicesWhere((s) => /migrate\.js run\b/.test(commandOf(s)));
const ONE_SHOTS = servicesWhere((s) => s.restart === 'no');
/** The one item of a list, or an error naming what was expected. */
function single<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0];
}
const only = (names: string[], what: string): string => {
  if (names.length !== 1) throw new Error(`expected exactly one ${what} service, found ${JSON.stringify(names)}`);
  return names[0];
};
const POSTGRES = only(servicesWhere((s) => (s.image ?? '').startsWith('postgres:')), 'postgres');
const REDIS = only(servicesWhere((s) => (s.image ?? '').startsWith('redis:')), 'redis');
const PROXY = only(servicesWhere((s) => (s.volumes ?? []).some((v) => typeof v === 'string' && v.includes('ops/proxy/nginx.conf'))), 'proxy');
const FRONTEND = only(servicesWhere((s) => s.build?.target === 'static'), 'static front-end');
const DEV_IDP = only(servicesWhere((s) => s.build?.target === 'dev-idp'), 'dev IdP');

/** The variables a user of the stack sets: the secrets and nothing else (every default applies). */
const USER_VARS = { PARLEY_SECRET_KEY: fakeSecret(), METRICS_TOKEN: fakeSecret() };
const resolvedEnv = (service: ComposeService, vars: Record<string, string | undefined> = USER_VARS): Record<string, string> =>
  Object.fromEntries(Object.entries(envOf(service)).map(([k, v]) => [k, interpolate(v, vars)]));

/** Every string in the compose file (keys and values), with where it is. */
function composeStrings(node: unknown, at = ''): { at: string; value: string }[] {
  if (typeof node === 'string') return [{ at, value: node }];
  if (Array.isArray(node)) return node.flatMap((v, i) => composeStrings(v, `${at}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => [{ at: `${at}.${k} (key)`, value: k }, ...composeStrings(v, `${at}.${k}`)]);
  }
  return [];
}

// ---- nginx ---------------------------------------------------------------------------------------------------------

const proxyConf = parseNginx(read('ops/proxy/nginx.conf'));
const staticConf = parseNginx(read('ops/proxy/static.conf'));
const http = single(children(proxyConf, 'http'), 'http block in nginx.conf');
const upstream = (name: string): NginxDirective => {
  const found = children(http.block, 'upstream').find((u) => u.args[0] === name);
  if (!found) throw new Error(`nginx.conf: no upstream ${name}`);
  return found;
};
const upstreamServers = (name: string): { host: string; port: number }[] =>
  children(upstream(name).block, 'server').map((s) => {
    const m = /^([^:]+):(\d+)$/.exec(s.args[0]);
    if (!m) throw new Error(`nginx.conf: upstream ${name} server ${s.args[0]} needs host:port`);
    return { host: m[1], port: Number(m[2]) };
  });
const listenPort = (server: NginxDirective): { address: string | null; port: number } => {
  const [listen] = children(server.block, 'listen');
  const m = /^(?:([\d.]+):)?(\d+)$/.exec(listen?.args[0] ?? '');
  if (!m) throw new Error(`nginx: unreadable listen ${JSON.stringify(listen?.args)}`);
  return { address: m[1] ?? null, port: Number(m[2]) };
};
const proxyServers = children(http.block, 'server');
const publicServer = single(
  proxyServers.filter((s) => listenPort(s).address === null),
  'public server (listening on every address) in nginx.conf',
);
const statusServer = proxyServers.find((s) => listenPort(s).address === '127.0.0.1');

/** The location nginx picks for a path: exact match, else the longest prefix (regex locations are not used here). */
function selectLocation(server: NginxDirective, uri: string): NginxDirective {
  const locations = children(server.block, 'location');
  for (const l of locations) {
    if (l.args.length !== 1 && !['=', '^~'].includes(l.args[0])) throw new Error(`nginx: regex locations are not understood by this test: ${l.args.join(' ')}`);
  }
  const exact = locations.find((l) => l.args[0] === '=' && l.args[1] === uri);
  if (exact) return exact;
  const prefixes = locations
    .filter((l) => l.args[0] !== '=' && !l.args[l.args.length - 1].startsWith('@'))
    .filter((l) => uri.startsWith(l.args[l.args.length - 1]))
    .sort((a, b) => b.args[b.args.length - 1].length - a.args[a.args.length - 1].length);
  if (!prefixes.length) throw new Error(`nginx: no location for ${uri}`);
  return prefixes[0];
}
/** A directive's value in a location, inherited from the server and http blocks as nginx does. */
const effective = (location: NginxDirective, server: NginxDirective, name: string): string[] | undefined =>
  [location.block, server.block, http.block].map((b) => children(b, name)[0]).find(Boolean)?.args;
const proxiedTo = (location: NginxDirective): string | null => {
  const pass = children(location.block, 'proxy_pass')[0]?.args[0];
  return pass ? pass.replace(/^https?:\/\//, '') : null;
};

// ---- ops/k8s -------------------------------------------------------------------------------------------------------

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, unknown>;
}
interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvEntry[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

const K8S_DIR = 'ops/k8s';
const k8sFiles = fs.readdirSync(path.join(ROOT, K8S_DIR)).filter((f) => /\.ya?ml$/.test(f));
const kustomization = parse(read(`${K8S_DIR}/kustomization.yaml`)) as { resources?: string[]; images?: { name: string; newName?: string; newTag?: string }[] };
const k8sObjects: (K8sObject & { file: string })[] = k8sFiles
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(read(`${K8S_DIR}/${file}`)).map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      return { ...(doc.toJS() as K8sObject), file };
    }),
  );
const ofKind = (kind: string) => k8sObjects.filter((o) => o.kind === kind);
const one = (kind: string) => single(ofKind(kind), `${kind} in ${K8S_DIR}`);

const deployment = one('Deployment');
const podSpec = deployment.spec.template.spec;
const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
const backendContainer: Container = single(podSpec.containers as Container[], 'container in the Deployment');
const configMap = one('ConfigMap');
const configData = configMap.data as Record<string, string>;
const migrateJob = one('Job');
const jobContainer: Container = migrateJob.spec.template.spec.containers[0];
const containerPort = (name: string | number): number => {
  if (typeof name === 'number') return name;
  const port = (backendContainer.ports ?? []).find((p) => p.name === name);
  if (!port) throw new Error(`no container port named ${name}`);
  return port.containerPort;
};
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const envNames = (c: Container): string[] => (c.env ?? []).map((e) => e.name);
const secretRef = (c: Container, name: string) => (c.env ?? []).find((e) => e.name === name)?.valueFrom?.secretKeyRef;
/** The Deployment's environment as the pod sees it, with made-up values for the Secret's keys. */
const podEnv = (): Record<string, string> => ({
  ...configData,
  ...Object.fromEntries(
    (backendContainer.env ?? []).flatMap((e) => {
      if (e.value !== undefined) return [[e.name, e.value]];
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref || ref.optional) return [];
      const fake: Record<string, string> = {
        DATABASE_URL: 'postgres://parley:pw@postgres.internal:5432/parley',
        REDIS_URL: 'redis://redis.internal:6379/0',
      };
      return [[e.name, fake[e.name] ?? fakeSecret()]];
    }),
  ),
});

// =====================================================================================================================

describe('deployment files', () => {
  it('can judge every configuration group: one loader per ENV_REGISTRY group', () => {
    expect(Object.keys(LOADERS).sort()).toEqual(Object.keys(ENV_REGISTRY).sort());
    // The variables these files rely on are registered (SHUTDOWN_GRACE_SECONDS and METRICS_TOKEN are newer).
    for (const name of ['PARLEY_SECRET_KEY', 'TRUST_PROXY', 'DATABASE_MIGRATIONS_RUN', 'SHUTDOWN_GRACE_SECONDS', 'METRICS_TOKEN']) {
      expect(REGISTERED).toContain(name);
    }
  });

  describe('docker-compose.yml', () => {
    it('runs the whole stack: PostgreSQL 15, Redis 7, two backend replicas, proxy, static front ends, dev IdP', () => {
      expect(services[POSTGRES].image).toMatch(/^postgres:15(?:[.-]|$)/);
      expect(services[REDIS].image).toMatch(/^redis:7(?:[.-]|$)/);
      expect(BACKENDS).toHaveLength(2);
      const [a, b] = BACKENDS.map((name) => services[name]);
      // Replicas: the same image and the same configuration.
      expect(a.image).toBeTruthy();
      expect(b.image).toBe(a.image);
      expect(b.build).toEqual(a.build);
      expect(envOf(b)).toEqual(envOf(a));
      expect(services[PROXY].image).toMatch(/^nginx:/);
      expect(commandOf(services[DEV_IDP])).toMatch(/dev-idp/);
      expect(services[FRONTEND].image).not.toBe(a.image);
    });

    it('builds every target from ops/docker/Dockerfile, whose default target is still the backend runtime', () => {
      const built = Object.entries(services).filter(([, s]) => s.build);
      expect(built.length).toBeGreaterThanOrEqual(4);
      for (const [name, s] of built) {
        expect([name, s.build?.context]).toEqual([name, '.']);
        const dockerfile = read(s.build?.dockerfile ?? 'Dockerfile');
        const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
        expect(stages).toContain(s.build?.target);
        expect(stages[stages.length - 1]).toBe('runtime');
      }
    });

    it('health-checks every long-running service on what it serves', () => {
      for (const [name, s] of Object.entries(services)) {
        if (ONE_SHOTS.includes(name)) {
          expect([name, s.healthcheck?.disable]).toEqual([name, true]);
          continue;
        }
        expect([name, s.healthcheck?.disable ?? false]).toEqual([name, false]);
        expect([name, healthTest(s).length > 0]).toEqual([name, true]);
      }
      expect(healthTest(services[POSTGRES])).toMatch(/pg_isready/);
      expect(healthTest(services[REDIS])).toMatch(/redis-cli.*ping/);
      for (const b of BACKENDS) expect(healthTest(services[b])).toContain(`127.0.0.1:${envOf(services[b]).PORT}/readyz`);
      expect(statusServer).toBeDefined();
      expect(healthTest(services[PROXY])).toContain(`http://127.0.0.1:${listenPort(statusServer!).port}/healthz`);
      expect(children(statusServer!.block, 'location').map((l) => l.args.join(' '))).toContain('= /healthz');
      expect(healthTest(services[FRONTEND])).toContain(`127.0.0.1:${listenPort(children(staticConf, 'server')[0]).port}/`);
      expect(healthTest(services[DEV_IDP])).toContain('/.well-known/openid-configuration');
    });

    it('starts in order: databases healthy, migrations done, replicas ready, then the proxy', () => {
      const healthy = Object.keys(services).filter((n) => !ONE_SHOTS.includes(n));
      for (const [name, s] of Object.entries(services)) {
        for (const [dep, condition] of Object.entries(dependsOn(s))) {
          expect([name, dep, dep in services]).toEqual([name, dep, true]);
          const wanted = ONE_SHOTS.includes(dep) ? 'service_completed_successfully' : 'service_healthy';
          expect([name, dep, condition]).toEqual([name, dep, wanted]);
          if (condition === 'service_healthy') expect(healthy).toContain(dep);
        }
      }
      for (const b of BACKENDS) {
        expect(dependsOn(services[b])).toEqual({ [POSTGRES]: 'service_healthy', [REDIS]: 'service_healthy', [only(MIGRATORS, 'migrate')]: 'service_completed_successfully' });
      }
      expect(Object.keys(dependsOn(services[PROXY])).sort()).toEqual([...BACKENDS, FRONTEND].sort());
      expect(dependsOn(services[only(MIGRATORS, 'migrate')])).toEqual({ [POSTGRES]: 'service_healthy' });
      // No cycles: a topological order exists.
      const done = new Set<string>();
      for (let round = 0; round < Object.keys(services).length && done.size < Object.keys(services).length; round++) {
        for (const [name, s] of Object.entries(services)) if (Object.keys(dependsOn(s)).every((d) => done.has(d))) done.add(name);
      }
      expect(done.size).toBe(Object.keys(services).length);
    });

    it('migrates once, in a one-shot service, never in the replicas (TypeORM takes no migration lock)', () => {
      const migrate = only(MIGRATORS, 'migrate');
      expect(ONE_SHOTS).toEqual([migrate]);
      expect(services[migrate].image).toBe(services[BACKENDS[0]].image);
      expect(resolvedEnv(services[migrate]).DATABASE_URL).toBe(resolvedEnv(services[BACKENDS[0]]).DATABASE_URL);
      for (const b of BACKENDS) expect(resolvedEnv(services[b]).DATABASE_MIGRATIONS_RUN).toBe('false');
      expect(loadDatabaseConfig(resolvedEnv(services[BACKENDS[0]])).migrationsRun).toBe(false);
    });

    it('points both replicas at the shared PostgreSQL and Redis, in production mode, behind exactly one proxy', () => {
      const pg = resolvedEnv(services[POSTGRES]);
      for (const b of BACKENDS) {
        const env = resolvedEnv(services[b]);
        expect(env.NODE_ENV).toBe('production');
        const db = new URL(env.DATABASE_URL);
        expect([db.protocol, db.hostname, db.port || '5432']).toEqual(['postgres:', POSTGRES, '5432']);
        expect([decodeURIComponent(db.username), decodeURIComponent(db.password), db.pathname]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
        const redis = new URL(env.REDIS_URL);
        expect([redis.protocol, redis.hostname]).toEqual(['redis:', REDIS]);
        // One proxy in front, and it appends the client address (checked below): trust exactly one hop.
        expect(parseTrustProxy(env.TRUST_PROXY)).toBe(1);
        expect(loadAppConfig(env).trustProxy).toBe(1);
      }
    });

    it('maps ports well-formed and consistently with PORT, nginx listen/upstreams and PUBLIC_BASE_URL', () => {
      const published: number[] = [];
      for (const [name, s] of Object.entries(services)) {
        for (const entry of s.ports ?? []) {
          const p = parsePortMapping(entry);
          expect([name, p.protocol]).toEqual([name, 'tcp']);
          expect([name, p.hostIp]).toEqual([name, '127.0.0.1']);
          if (p.published !== null) published.push(p.published);
        }
        for (const e of s.expose ?? []) expect(String(e)).toMatch(/^\d{1,5}$/);
      }
      expect(new Set(published).size).toBe(published.length);
      // Only the proxy and the dev IdP are reachable from the host.
      expect(servicesWhere((s) => (s.ports ?? []).length > 0).sort()).toEqual([DEV_IDP, PROXY].sort());

      // Backends listen on PORT, which is what they expose, what their healthcheck and the upstream use.
      const backendUpstream = upstreamServers(proxiedTo(selectLocation(publicServer, '/api/workflows'))!);
      expect(backendUpstream.map((s) => s.host).sort()).toEqual([...BACKENDS].sort());
      for (const b of BACKENDS) {
        const port = Number(resolvedEnv(services[b]).PORT);
        expect(loadAppConfig(resolvedEnv(services[b])).port).toBe(port);
        expect((services[b].expose ?? []).map(String)).toEqual([String(port)]);
        expect(backendUpstream.find((s) => s.host === b)?.port).toBe(port);
      }
      // The front ends: static.conf listens where the proxy's upstream and the service's expose say.
      const frontendUpstream = upstreamServers(proxiedTo(selectLocation(publicServer, '/'))!);
      const staticPort = listenPort(children(staticConf, 'server')[0]).port;
      expect(frontendUpstream).toEqual([{ host: FRONTEND, port: staticPort }]);
      expect((services[FRONTEND].expose ?? []).map(String)).toEqual([String(staticPort)]);

      // The proxy publishes its public listener, and that is the port of the default PUBLIC_BASE_URL.
      const [proxyPort] = (services[PROXY].ports ?? []).map(parsePortMapping);
      expect(proxyPort.target).toBe(listenPort(publicServer).port);
      const base = new URL(resolvedEnv(services[BACKENDS[0]]).PUBLIC_BASE_URL);
      expect(Number(base.port || (base.protocol === 'https:' ? 443 : 80))).toBe(proxyPort.published);

      // The dev IdP listens, and is published, on the port it is told; its client redirects to the backends' callback.
      const idpArgs = Array.isArray(services[DEV_IDP].command) ? services[DEV_IDP].command : [];
      const idpPort = Number(idpArgs[idpArgs.indexOf('--port') + 1]);
      expect((services[DEV_IDP].ports ?? []).map(parsePortMapping)).toEqual([{ hostIp: '127.0.0.1', published: idpPort, target: idpPort, protocol: 'tcp' }]);
      expect(interpolate(idpArgs[idpArgs.indexOf('--redirect-uri') + 1], USER_VARS)).toBe(loadOidcConfig(resolvedEnv(services[BACKENDS[0]])).redirectUri);
    });

    it('gives the replicas longer to stop than SHUTDOWN_GRACE_SECONDS', () => {
      for (const b of BACKENDS) {
        const env = resolvedEnv(services[b]);
        const grace = Number(env.SHUTDOWN_GRACE_SECONDS ?? registryVar('SHUTDOWN_GRACE_SECONDS').default);
        expect(loadOperationsConfig(env).shutdownGraceMs).toBe(grace * 1000);
        expect(grace).toBeGreaterThan(0);
        expect(composeSeconds(services[b].stop_grace_period ?? '10s')).toBeGreaterThanOrEqual(grace + SHUTDOWN_WRAP_UP_SECONDS);
      }
    });

    it('sets only registered variables on the backend containers', () => {
      for (const name of [...BACKENDS, ...MIGRATORS]) {
        const unknown = Object.keys(envOf(services[name])).filter((k) => !REGISTERED.has(k));
        expect([name, unknown]).toEqual([name, []]);
      }
    });

    it('interpolates only variables that are registered or documented in the header', () => {
      expect(composeHeader).toContain('docker compose up --build');
      const refs = composeStrings(compose).flatMap(({ at, value }) => interpolations(value).map((i) => ({ at, ...i })));
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const documented = REGISTERED.has(ref.name) || new RegExp(`\\b${ref.name}\\b`).test(composeHeader);
        expect([ref.at, ref.name, documented]).toEqual([ref.at, ref.name, true]);
      }
      // A secret is never given a default in the file: it comes from the user or is left empty.
      for (const ref of refs.filter((r) => SENSITIVE.has(r.name))) {
        expect([ref.name, ref.operator === ':?' || ref.operator === '?' || ref.argument === '']).toEqual([ref.name, true]);
      }
    });

    it('refuses to start without PARLEY_SECRET_KEY and provides every secret production requires', () => {
      const env = resolvedEnv(services[BACKENDS[0]]);
      const required = productionRequiredSecrets(env);
      expect(required).toContain('PARLEY_SECRET_KEY');
      for (const b of BACKENDS) {
        for (const name of required) {
          const refs = interpolations(envOf(services[b])[name] ?? '');
          expect([b, name, refs.some((r) => r.name === name && (r.operator === ':?' || r.operator === '?'))]).toEqual([b, name, true]);
        }
        expect(() => resolvedEnv(services[b], {})).toThrow(/PARLEY_SECRET_KEY is required/);
      }
    });

    it('gives the backends a configuration that boots in production (every loader accepts it)', () => {
      for (const b of BACKENDS) expect(() => loadAll(resolvedEnv(services[b]))).not.toThrow();
      // ...and the loaders do catch a bad value.
      expect(() => loadAll({ ...resolvedEnv(services[BACKENDS[0]]), TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    });

    it('keeps PostgreSQL data on a named volume and mounts files that exist, the proxy config read-only', () => {
      const declared = Object.keys(compose.volumes ?? {});
      const pgMounts = (services[POSTGRES].volumes ?? []).map(String);
      expect(pgMounts.some((v) => /^[A-Za-z0-9_-]+:\/var\/lib\/postgresql\/data$/.test(v) && declared.includes(v.split(':')[0]))).toBe(true);
      for (const [name, s] of Object.entries(services)) {
        for (const v of s.volumes ?? []) {
          if (typeof v !== 'string') throw new Error(`${name}: use the short volume syntax here`);
          const [source] = v.split(':');
          if (source.startsWith('.') || source.startsWith('/')) expect([name, source, fs.existsSync(path.join(ROOT, source))]).toEqual([name, source, true]);
          else expect(declared).toContain(source);
        }
      }
      expect((services[PROXY].volumes ?? []).map(String)).toContain('./ops/proxy/nginx.conf:/etc/nginx/nginx.conf:ro');
    });
  });

  describe('ops/proxy/nginx.conf', () => {
    it('streams /api/chatkit: no buffering, no cache, a read timeout of at least 300 s, to the backends', () => {
      for (const uri of ['/api/chatkit', '/api/chatkit/uploads/abc']) {
        const location = selectLocation(publicServer, uri);
        expect(proxiedTo(location)).toBe('parley_backend');
        expect(effective(location, publicServer, 'proxy_buffering')).toEqual(['off']);
        expect(effective(location, publicServer, 'proxy_cache')).toEqual(['off']);
        expect(effective(location, publicServer, 'gzip') ?? ['off']).toEqual(['off']);
        expect(nginxSeconds(effective(location, publicServer, 'proxy_read_timeout')?.[0] ?? '60s')).toBeGreaterThanOrEqual(300);
      }
      // Other API routes keep the ordinary timeout.
      expect(nginxSeconds(effective(selectLocation(publicServer, '/api/workflows'), publicServer, 'proxy_read_timeout')?.[0] ?? '60s')).toBeLessThan(300);
    });

    it('never proxies /metrics publicly, and routes API, health and JWKS to the backends, the rest to the front ends', () => {
      const metrics = selectLocation(publicServer, '/metrics');
      expect(metrics.args).toEqual(['=', '/metrics']);
      expect(children(metrics.block, 'return')[0]?.args).toEqual(['404']);
      expect(proxiedTo(metrics)).toBeNull();
      for (const uri of ['/metrics/', '/metricsx', '/metrics/anything']) expect([uri, proxiedTo(selectLocation(publicServer, uri))]).not.toEqual([uri, 'parley_backend']);
      for (const uri of ['/api/workflows', '/api/config', '/api/docs', '/healthz', '/readyz', '/.well-known/jwks.json']) {
        expect([uri, proxiedTo(selectLocation(publicServer, uri))]).toEqual([uri, 'parley_backend']);
      }
      for (const uri of ['/', '/login', '/chat/abc', '/assets/app-1.js', '/widget/mf-manifest.json']) {
        expect([uri, proxiedTo(selectLocation(publicServer, uri))]).toEqual([uri, 'parley_frontend']);
      }
    });

    it('forwards the client address and scheme and keeps HTTP/1.1 connections to the replicas', () => {
      const headers = Object.fromEntries(children(publicServer.block, 'proxy_set_header').map((d) => [d.args[0].toLowerCase(), d.args[1]]));
      expect(headers['x-forwarded-for']).toBe('$proxy_add_x_forwarded_for');
      expect(headers['x-forwarded-proto']).toBe('$scheme');
      expect(headers.connection).toBe('');
      expect(children(publicServer.block, 'proxy_http_version')[0]?.args).toEqual(['1.1']);
      expect(Number(children(upstream('parley_backend').block, 'keepalive')[0]?.args[0])).toBeGreaterThan(0);
      // A proxy_set_header inside a location would silently drop every one set on the server.
      expect(children(publicServer.block, 'location').flatMap((l) => deep(l.block, 'proxy_set_header'))).toEqual([]);
    });

    it('accepts the largest bodies the backend accepts (ChatKit requests and uploads)', () => {
      const chatkit = loadChatKitConfig({});
      const location = selectLocation(publicServer, '/api/chatkit');
      const max = sizeBytes(effective(location, publicServer, 'client_max_body_size')?.[0] ?? '1m');
      expect(max).toBeGreaterThanOrEqual(Math.max(chatkit.bodyLimitBytes, chatkit.uploadLimitBytes));
    });
  });

  describe('ops/proxy/static.conf', () => {
    let t: TestApp;
    let dir: string;
    const files = ['index.html', 'assets/app-abc123.js', 'share-link.js', 'remoteEntry-abc123.js', 'widget/mf-manifest.json', 'widget/remoteEntry.js', 'widget/embed.js', 'widget/assets/chunk-def456.js'];

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-static-'));
      for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), f === 'index.html' ? '<!doctype html><title>Parley</title>' : '{}');
      }
      const config = { ...loadWebConfig({}), serveFrontend: true, hostDist: dir, widgetDist: path.join(dir, 'widget') };
      t = await createTestApp({ override: (b) => b.overrideProvider(webConfig.KEY).useValue(config) });
    });
    afterAll(async () => {
      await t?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const server = children(staticConf, 'server')[0];
    const maps = new Map(children(staticConf, 'map').map((m) => [m.args[1], m]));
    const clientRoute = (): RegExp => {
      const named = children(server.block, 'location').find((l) => l.args[0] === '@client_route');
      const test = children(named?.block, 'if')[0];
      expect(test?.args.slice(0, 2)).toEqual(['($uri', '!~']);
      expect(children(named?.block, 'rewrite')[0]?.args).toEqual(['^', '/index.html', 'break']);
      return new RegExp(test!.args[2]);
    };
    /** What static.conf answers for a path: the status and the headers nginx adds (empty values are not sent). */
    const nginxAnswer = (uri: string): { status: number; headers: Record<string, string> } => {
      const location = selectLocation(server, uri);
      const tryFiles = children(location.block, 'try_files')[0]?.args ?? [];
      expect(tryFiles[0]).toBe('$uri');
      let served: string | null = fs.existsSync(path.join(dir, uri)) && fs.statSync(path.join(dir, uri)).isFile() ? uri : null;
      if (!served && tryFiles[1] === '@client_route' && clientRoute().test(uri)) served = '/index.html';
      if (!served) return { status: 404, headers: {} };
      const headers: Record<string, string> = {};
      for (const h of children(server.block, 'add_header')) {
        const [name, raw] = h.args;
        const value = raw.startsWith('$') ? evaluateMap(maps.get(raw)!, served) : raw;
        expect(raw.startsWith('$') ? maps.has(raw) : !raw.includes('$')).toBe(true);
        if (value !== '') headers[name.toLowerCase()] = value;
      }
      return { status: 200, headers };
    };
    /** Headers that depend on the file or the moment rather than on policy. */
    const VOLATILE = new Set(['date', 'etag', 'last-modified', 'content-length', 'content-type', 'accept-ranges', 'connection', 'keep-alive', 'x-request-id', 'vary', 'transfer-encoding']);

    it('answers the same paths as the backend with SERVE_FRONTEND=true, with the same cache, CORS and security headers', async () => {
      const probes = [...files.map((f) => `/${f}`), '/', '/login', '/register', '/sessions', '/workflows', '/workflows/123/edit', '/chat/abc', '/chat/abc/', '/not-a-client-route', '/loginx', '/registerx', '/sessionsx', '/workflowsx', '/chat', '/chat/', '/chat/a/b', '/widget/missing.js', '/widget/', '/widget/index.html'];
      for (const uri of probes) {
        const backend = await request(t.app.getHttpServer()).get(uri);
        const nginx = nginxAnswer(uri);
        expect([uri, nginx.status]).toEqual([uri, backend.status]);
        if (backend.status !== 200) continue;
        const fromBackend = Object.fromEntries(Object.entries(backend.headers as Record<string, string>).filter(([k]) => !VOLATILE.has(k) && !k.startsWith('access-control-allow-credentials')));
        expect([uri, nginx.headers]).toEqual([uri, fromBackend]);
      }
    });

    it('marks exactly the hashed chunks immutable and lets any origin load the widget', () => {
      expect(nginxAnswer('/widget/assets/chunk-def456.js').headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(nginxAnswer('/widget/mf-manifest.json').headers['cache-control']).toBe('no-cache');
      expect(nginxAnswer('/widget/remoteEntry.js').headers['access-control-allow-origin']).toBe('*');
      expect(nginxAnswer('/login').headers['access-control-allow-origin']).toBeUndefined();
      expect(nginxAnswer('/login').headers['cache-control']).toBe('no-cache');
    });
  });

  describe('ops/k8s', () => {
    it('lists every manifest in kustomization.yaml, with the expected kinds and API versions, and no Secret', () => {
      expect([...(kustomization.resources ?? [])].sort()).toEqual(k8sFiles.filter((f) => f !== 'kustomization.yaml').sort());
      const versions: Record<string, string> = {
        Deployment: 'apps/v1',
        Service: 'v1',
        ConfigMap: 'v1',
        HorizontalPodAutoscaler: 'autoscaling/v2',
        PodDisruptionBudget: 'policy/v1',
        Ingress: 'networking.k8s.io/v1',
        Job: 'batch/v1',
        Namespace: 'v1',
      };
      for (const kind of ['Deployment', 'Service', 'ConfigMap', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(ofKind(kind).length).toBeGreaterThan(0);
      for (const o of k8sObjects) expect([o.file, o.kind, o.apiVersion]).toEqual([o.file, o.kind, versions[o.kind]]);
      expect(ofKind('Secret')).toEqual([]);
      // The image the kustomization sets is the one the Deployment and the Job name.
      expect(kustomization.images?.map((i) => i.name)).toEqual([backendContainer.image]);
    });

    it('runs at least two replicas whose selector matches the pod labels', () => {
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(matches(deployment.spec.selector.matchLabels, migrateJob.spec.template.metadata.labels)).toBe(false);
    });

    it('probes /readyz and /healthz on the container port, which is PORT', () => {
      const port = Number(configData.PORT);
      expect(loadAppConfig({ ...podEnv() }).port).toBe(port);
      expect(containerPort('http')).toBe(port);
      expect(backendContainer.readinessProbe.httpGet.path).toBe('/readyz');
      expect(backendContainer.livenessProbe.httpGet.path).toBe('/healthz');
      expect(backendContainer.startupProbe.httpGet.path).toMatch(/^\/(healthz|readyz)$/);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) expect([probe, containerPort(backendContainer[probe].httpGet.port)]).toEqual([probe, port]);
      const annotations = deployment.spec.template.metadata.annotations ?? {};
      expect([annotations['prometheus.io/scrape'], Number(annotations['prometheus.io/port']), annotations['prometheus.io/path']]).toEqual(['true', port, '/metrics']);
    });

    it('exposes the pods through a Service whose selector and targetPort match', () => {
      const service = one('Service');
      expect(matches(service.spec.selector, podLabels)).toBe(true);
      expect(matches(service.spec.selector, migrateJob.spec.template.metadata.labels)).toBe(false);
      for (const p of service.spec.ports) expect(containerPort(p.targetPort)).toBe(Number(configData.PORT));
      for (const ingress of ofKind('Ingress')) {
        for (const rule of ingress.spec.rules) {
          for (const p of rule.http.paths) {
            expect(p.backend.service.name).toBe(service.metadata.name);
            expect(service.spec.ports.some((sp: { name?: string; port: number }) => sp.name === p.backend.service.port.name || sp.port === p.backend.service.port.number)).toBe(true);
          }
        }
      }
    });

    it('autoscales the Deployment on CPU (HPA) and keeps it available through drains (PDB)', () => {
      const hpa = one('HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      expect(hpa.spec.metrics).toContainEqual(expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu', target: expect.objectContaining({ type: 'Utilization' }) }) }));
      // CPU utilisation is measured against the request.
      expect(backendContainer.resources?.requests?.cpu).toBeTruthy();
      const pdb = one('PodDisruptionBudget');
      expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
      expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
      // A drain must be able to evict a pod: fewer required than the smallest replica count.
      expect(pdb.spec.minAvailable).toBeLessThan(Math.min(deployment.spec.replicas, hpa.spec.minReplicas));
    });

    it('gives a terminating pod longer than preStop plus SHUTDOWN_GRACE_SECONDS', () => {
      const grace = Number(configData.SHUTDOWN_GRACE_SECONDS ?? registryVar('SHUTDOWN_GRACE_SECONDS').default);
      expect(loadOperationsConfig(podEnv()).shutdownGraceMs).toBe(grace * 1000);
      const preStop = backendContainer.lifecycle?.preStop;
      const sleep = preStop?.sleep?.seconds ?? Number((preStop?.exec?.command ?? []).join(' ').match(/^sleep (\d+)$/)?.[1]);
      expect(sleep).toBeGreaterThan(0);
      expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(sleep + grace + SHUTDOWN_WRAP_UP_SECONDS);
    });

    it('sets only registered variables, as strings, and keeps secrets in Secret references', () => {
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        expect([key, REGISTERED.has(key), typeof value]).toEqual([key, true, 'string']);
        expect([key, SENSITIVE.has(key)]).toEqual([key, false]);
      }
      for (const c of [backendContainer, jobContainer]) {
        for (const e of c.env ?? []) {
          expect([c.name, e.name, REGISTERED.has(e.name)]).toEqual([c.name, e.name, true]);
          if (SENSITIVE.has(e.name)) {
            expect([e.name, e.value]).toEqual([e.name, undefined]);
            expect([e.name, e.valueFrom?.secretKeyRef?.name]).toEqual([e.name, 'parley-secrets']);
          }
        }
        expect((c.envFrom ?? []).map((f) => f.configMapRef?.name)).toEqual([configMap.metadata.name]);
      }
      expect(read(`${K8S_DIR}/deployment.yaml`)).not.toMatch(/PARLEY_SECRET_KEY\s*[:=]\s*\S{16,}/);
    });

    it('requires every secret production needs, and the shared database and Redis, from the Secret', () => {
      const required = productionRequiredSecrets(podEnv());
      expect(required).toContain('PARLEY_SECRET_KEY');
      // Several replicas share one PostgreSQL and one Redis; /metrics is reachable through the Ingress, so its token is required.
      for (const name of [...required, 'DATABASE_URL', 'REDIS_URL', 'METRICS_TOKEN']) {
        const ref = secretRef(backendContainer, name);
        expect([name, ref?.name, ref?.optional ?? false]).toEqual([name, 'parley-secrets', false]);
      }
      expect(envNames(backendContainer)).not.toContain('DATABASE_MIGRATIONS_RUN');
    });

    it('gives the pods a configuration that boots in production (every loader accepts it)', () => {
      expect(() => loadAll(podEnv())).not.toThrow();
      expect(loadDatabaseConfig(podEnv()).migrationsRun).toBe(false);
      expect(parseTrustProxy(configData.TRUST_PROXY)).not.toBe(false);
    });

    it('migrates in a Job with the same image, the same database and the migration CLI', () => {
      expect(jobContainer.image).toBe(backendContainer.image);
      expect(jobContainer.command).toEqual(['node', 'backend/dist/database/migrate.js', 'run']);
      expect(secretRef(jobContainer, 'DATABASE_URL')).toEqual(secretRef(backendContainer, 'DATABASE_URL'));
      expect(['Never', 'OnFailure']).toContain(migrateJob.spec.template.spec.restartPolicy);
      expect(configData.DATABASE_MIGRATIONS_RUN).toBe('false');
    });

    it('runs the pods as non-root with a read-only root filesystem', () => {
      expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
      for (const c of [backendContainer, jobContainer]) {
        expect([c.name, c.securityContext?.readOnlyRootFilesystem, c.securityContext?.allowPrivilegeEscalation]).toEqual([c.name, true, false]);
      }
    });

    it('streams /api/chatkit through the Ingress without buffering and with a long read timeout', () => {
      const chatkit = ofKind('Ingress').find((i) => i.spec.rules.some((r: { http: { paths: { path: string }[] } }) => r.http.paths.some((p) => p.path === '/api/chatkit')));
      expect(chatkit).toBeDefined();
      const a = chatkit!.metadata.annotations ?? {};
      expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
      expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(300);
    });
  });
});
