import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * End-user sessions from OpenID Connect sign-in. The browser holds the opaque session id; only its
 * SHA-256 is stored. Sessions belong to an identity at the provider (issuer + subject), not to an
 * owner account, so they do not reference `users`: owner sign-in through OIDC issues normal owner
 * tokens instead.
 */
export class OAuthSessions1795450000000 implements MigrationInterface {
  name = 'OAuthSessions1795450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE oauth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash bytea NOT NULL,
        issuer text NOT NULL,
        subject text NOT NULL,
        email text,
        email_verified boolean NOT NULL DEFAULT false,
        name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT oauth_sessions_hash_length CHECK (octet_length(token_hash) = 32),
        CONSTRAINT oauth_sessions_identity CHECK (issuer <> '' AND subject <> ''),
        CONSTRAINT oauth_sessions_expiry CHECK (expires_at > created_at)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX oauth_sessions_hash_key ON oauth_sessions (token_hash)`);
    await queryRunner.query(`CREATE INDEX oauth_sessions_identity_idx ON oauth_sessions (issuer, subject)`);
    await queryRunner.query(`CREATE INDEX oauth_sessions_expires_idx ON oauth_sessions (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE oauth_sessions`);
  }
}
