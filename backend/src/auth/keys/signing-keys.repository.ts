import { createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { DataSource, EntityManager, IsNull, LessThanOrEqual, MoreThan } from 'typeorm';
import { SigningKeyEntity } from '../entities/signing-key.entity';
import { jwkThumbprint, publicJwkOf } from './jwk';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption';

/** Extra time a retired key stays valid beyond the longest token lifetime, for clock skew between hosts. */
export const RETIREMENT_SKEW_SECONDS = 60;

export interface StoredKeys {
  /** The active key, decrypted; null when there is none yet. */
  active: { kid: string; privateKey: KeyObject } | null;
  /** Every key still published (the active one first), with when it stops being accepted. */
  published: SigningKeyEntity[];
}

export interface RotationResult {
  kid: string;
  retired: { kid: string; retireAfter: Date } | null;
  pruned: string[];
}

/**
 * The SQL of `signing_keys`: named queries plus the two transactional operations (create-if-missing, rotate). Built
 * from a DataSource and the key-encryption key (auth.module.ts provides it to `SigningKeysService`; the `keys:rotate`
 * command builds its own), so both use the same code.
 */
export class SigningKeysRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly kek: Buffer,
  ) {}

  /** Reads the published keys and decrypts the active one. */
  async load(now = new Date()): Promise<StoredKeys> {
    const repo = this.dataSource.getRepository(SigningKeyEntity);
    const rows = await repo.find({ where: [{ retiredAt: IsNull() }, { retireAfter: MoreThan(now) }] });
    // Active key first, then the most recently created.
    rows.sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || b.createdAt.getTime() - a.createdAt.getTime());
    const activeRow = await repo.findOne({
      select: { kid: true, privateKeyEncrypted: true },
      where: { retiredAt: IsNull() },
    });
    return { active: activeRow ? this.decrypt(activeRow) : null, published: rows };
  }

  /** Creates the first key unless one is active; safe when several instances start at once. */
  async ensureActive(): Promise<{ created: string | null }> {
    return this.dataSource.transaction(async (em) => {
      await lockKeys(em);
      if (await em.getRepository(SigningKeyEntity).existsBy({ retiredAt: IsNull() })) return { created: null };
      return { created: await insertNewKey(em, this.kek) };
    });
  }

  /**
   * Adds a key and makes it active. The previous key stops signing now and stays published
   * until every token it could have signed has expired (`maxTokenTtlSeconds` + skew); keys
   * past their `retire_after` are deleted.
   */
  async rotate(maxTokenTtlSeconds: number, now = new Date()): Promise<RotationResult> {
    return this.dataSource.transaction(async (em) => {
      await lockKeys(em);
      const repo = em.getRepository(SigningKeyEntity);
      const previous = await repo.findOneBy({ retiredAt: IsNull() });
      let retired: RotationResult['retired'] = null;
      if (previous) {
        const retireAfter = new Date(now.getTime() + (maxTokenTtlSeconds + RETIREMENT_SKEW_SECONDS) * 1000);
        await repo.update({ kid: previous.kid }, { retiredAt: now, retireAfter });
        retired = { kid: previous.kid, retireAfter };
      }
      const kid = await insertNewKey(em, this.kek);
      const expired = await repo.find({ select: { kid: true }, where: { retireAfter: LessThanOrEqual(now) } });
      if (expired.length) await repo.delete(expired.map((k) => k.kid));
      return { kid, retired, pruned: expired.map((k) => k.kid) };
    });
  }

  private decrypt(row: SigningKeyEntity): { kid: string; privateKey: KeyObject } {
    const der = decryptPrivateKey(row.privateKeyEncrypted, this.kek, row.kid);
    return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
  }
}

/** Serialises key creation and rotation across instances (and the rotate command). */
async function lockKeys(em: EntityManager): Promise<void> {
  await em.query(`LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`);
}

async function insertNewKey(em: EntityManager, kek: Buffer): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = jwkThumbprint(publicKey.export({ format: 'jwk' }));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  await em.getRepository(SigningKeyEntity).insert({
    kid,
    algorithm: 'ES256',
    publicJwk: publicJwkOf(publicKey, kid),
    privateKeyEncrypted: encryptPrivateKey(der, kek, kid),
    retiredAt: null,
    retireAfter: null,
  });
  return kid;
}
