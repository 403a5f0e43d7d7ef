import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { PublicJwk } from '../keys/jwk';

/**
 * An ES256 signing key. The private key is AES-256-GCM encrypted with a key derived from
 * PARLEY_SECRET_KEY. `retiredAt` null marks the active key; a retired key stays published and
 * accepted until `retireAfter`.
 */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' })
  kid: string;

  @Column({ type: 'text', default: 'ES256' })
  algorithm: 'ES256';

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: PublicJwk;

  @Column({ name: 'private_key_encrypted', type: 'bytea', select: false })
  privateKeyEncrypted: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  @Column({ name: 'retire_after', type: 'timestamptz', nullable: true })
  retireAfter: Date | null;
}
