import { Injectable, OnModuleInit } from '@nestjs/common';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/**
 * argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane), written out so a
 * library default change cannot silently weaken new hashes.
 */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes and verifies owner passwords (argon2id). */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy: Promise<string> | null = null;

  /** Computes the dummy hash at start-up so the first unknown-email login is not slower than the rest. */
  async onModuleInit(): Promise<void> {
    await this.dummyHash();
  }

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  /** argon2 verification of one hash; a malformed hash counts as a mismatch. */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    return verify(passwordHash, password).catch(() => false);
  }

  /**
   * Verifies a login. Without an account (or without a password on it) the password is still
   * verified, against a dummy hash with the same parameters, so the answer takes the same time
   * and does not reveal whether the email is registered.
   */
  async verifyAccount(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    const matched = await this.verify(passwordHash ?? (await this.dummyHash()), password);
    return Boolean(passwordHash) && matched;
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummy;
  }
}
