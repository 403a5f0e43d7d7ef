import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createPublicKey, KeyObject } from 'node:crypto';
import { databaseConfig } from '../../database/database.config';
import { authConfig } from '../auth.config';
import { PublicJwk, publicJwkOf } from './jwk';
import { RotationResult, SigningKeysRepository } from './signing-keys.repository';

/** How long a replica trusts its cached key set before re-reading it (rotation by another process). */
const CACHE_TTL_MS = 60_000;
/** An unknown `kid` triggers a re-read at most this often, so made-up kids cannot hammer the database. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
  /** SPKI PEM of `publicKey`, the form passport-jwt's typings accept. */
  pem: string;
  jwk: PublicJwk;
  /** When the key stops being accepted; null while it is active (or for env keys). */
  retireAfter: Date | null;
}

interface KeySet {
  signing: { kid: string; privateKey: KeyObject };
  verification: Map<string, VerificationKey>;
  loadedAt: number;
}

function verificationKey(kid: string, publicKey: KeyObject, retireAfter: Date | null): VerificationKey {
  return {
    kid,
    publicKey,
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: publicJwkOf(publicKey, kid),
    retireAfter,
  };
}

/**
 * Owns the ES256 key set: the active signing key and every public key still accepted.
 * Keys come from the database (created on first start, private halves encrypted with
 * PARLEY_SECRET_KEY) or, when JWT_PRIVATE_KEY is set, from env.
 */
@Injectable()
export class SigningKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('SigningKeys');
  private readonly store: SigningKeysRepository | null;
  private keySet: KeySet | null = null;
  private loading: Promise<KeySet> | null = null;
  private lastForcedReload = 0;
  private forcedReload: Promise<KeySet> | null = null;

  constructor(
    keys: SigningKeysRepository,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(databaseConfig.KEY) private readonly database: ConfigType<typeof databaseConfig>,
  ) {
    this.store = auth.envKey ? null : keys;
  }

  /** Where keys come from, for logs and the rotate command. */
  get source(): 'env' | 'database' {
    return this.store ? 'database' : 'env';
  }

  /**
   * Loads (and on first start creates) the keys at boot so a wrong PARLEY_SECRET_KEY fails the
   * start instead of the first login. Without start-up migrations the schema may not exist yet,
   * so loading waits for the first use.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.store || this.database.migrationsRun) await this.current();
  }

  /** The key new tokens are signed with. */
  async signingKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    return (await this.current()).signing;
  }

  /** The public key for `kid` if it is still accepted; re-reads the store once for a kid it has not seen. */
  async verificationKey(kid: string, now = new Date()): Promise<VerificationKey | null> {
    let key = (await this.current()).verification.get(kid);
    if (!key && this.store) key = (await this.reloadForUnknownKid()).verification.get(kid);
    if (!key || (key.retireAfter && key.retireAfter <= now)) return null;
    return key;
  }

  /** The public JWK set served at `/.well-known/jwks.json`. */
  async jwks(now = new Date()): Promise<{ keys: PublicJwk[] }> {
    const keys = [...(await this.current()).verification.values()].filter((k) => !k.retireAfter || k.retireAfter > now);
    return { keys: keys.map((k) => k.jwk) };
  }

  /** Adds a new active key (database mode only); see `SigningKeysRepository.rotate`. */
  async rotate(now = new Date()): Promise<RotationResult> {
    if (!this.store) throw new Error('Signing keys come from JWT_PRIVATE_KEY; rotate them by changing the environment.');
    const result = await this.store.rotate(this.auth.maxTokenTtlSeconds, now);
    await this.reload();
    return result;
  }

  /** Reads the key set again now (a load already in flight may predate a rotation, so it is not reused). */
  async reload(): Promise<void> {
    await this.startLoad();
  }

  /**
   * A kid we have not seen may come from a key another instance (or the rotate command) just
   * created. Re-read the key set, but at most once per UNKNOWN_KID_RELOAD_MS and shared by every
   * request waiting, so a stream of made-up kids costs one query a second, not one per request,
   * while a genuine new kid waits at most that long instead of being refused.
   */
  private reloadForUnknownKid(): Promise<KeySet> {
    this.forcedReload ??= (async () => {
      const wait = this.lastForcedReload + UNKNOWN_KID_RELOAD_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.lastForcedReload = Date.now();
      return this.startLoad();
    })().finally(() => (this.forcedReload = null));
    return this.forcedReload;
  }

  private async current(): Promise<KeySet> {
    if (this.keySet && Date.now() - this.keySet.loadedAt < CACHE_TTL_MS) return this.keySet;
    // Concurrent requests share one load.
    return this.loading ?? this.startLoad();
  }

  private async startLoad(): Promise<KeySet> {
    const loading = this.load();
    this.loading = loading;
    try {
      this.keySet = await loading;
      return this.keySet;
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  private async load(): Promise<KeySet> {
    if (!this.store) return this.fromEnv();
    let stored = await this.store.load();
    if (!stored.active) {
      const { created } = await this.store.ensureActive();
      if (created) this.logger.log(`Created signing key ${created}`);
      stored = await this.store.load();
    }
    if (!stored.active) throw new Error('No active signing key after creating one.');
    const verification = new Map<string, VerificationKey>();
    for (const row of stored.published) {
      verification.set(row.kid, verificationKey(row.kid, createPublicKey({ key: { ...row.publicJwk }, format: 'jwk' }), row.retireAfter));
    }
    return { signing: stored.active, verification, loadedAt: Date.now() };
  }

  private fromEnv(): KeySet {
    const { envKey, previousPublicKeys } = this.auth;
    const verification = new Map<string, VerificationKey>();
    verification.set(envKey!.kid, verificationKey(envKey!.kid, createPublicKey(envKey!.privateKey), null));
    for (const k of previousPublicKeys) verification.set(k.kid, verificationKey(k.kid, k.publicKey, null));
    // Env keys never change while the process runs: cache them forever.
    return { signing: { kid: envKey!.kid, privateKey: envKey!.privateKey }, verification, loadedAt: Infinity };
  }
}
