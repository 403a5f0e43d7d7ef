import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Owner accounts and their credentials. Everything a user owns references `users(id)` with
 * ON DELETE CASCADE, so deleting the user row deletes the account in one statement; later
 * modules' tables must do the same.
 */
export class Auth1732280000000 implements MigrationInterface {
  name = 'Auth1732280000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text,
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND email <> '')
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);

    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT refresh_tokens_hash_length CHECK (octet_length(token_hash) = 32)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash)`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);

    await queryRunner.query(`
      CREATE TABLE personal_access_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT personal_access_tokens_hash_length CHECK (octet_length(token_hash) = 32)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX personal_access_tokens_hash_key ON personal_access_tokens (token_hash)`);
    await queryRunner.query(`CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens (user_id, created_at)`);

    // retired_at IS NULL marks the one active key; retire_after is when a retired key's public
    // half stops being published and accepted (every token it signed has expired by then).
    await queryRunner.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        algorithm text NOT NULL DEFAULT 'ES256',
        public_jwk jsonb NOT NULL,
        private_key_encrypted bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        retire_after timestamptz,
        CONSTRAINT signing_keys_algorithm CHECK (algorithm = 'ES256'),
        CONSTRAINT signing_keys_retirement CHECK ((retired_at IS NULL) = (retire_after IS NULL))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE retired_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE signing_keys`);
    await queryRunner.query(`DROP TABLE personal_access_tokens`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
