import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security findings of issue 17:
 * - `users.email_verified_at`: when Parley learned that the account holder controls the email.
 *   Accounts created by OIDC owner sign-in were verified by the provider (backfilled from
 *   `created_at`); password accounts start unverified and are never merged into an SSO identity
 *   until their holder proves the password (docs/security.md, "Owner sign-in").
 * - `revoked_access_tokens`: the `jti` of owner access JWTs ended by logout, kept until they expire.
 * - A partial index for the pending-attachment quotas and the sweep of attachments never sent.
 */
export class AccountLinkingAndUploadQuotas1796300000000 implements MigrationInterface {
  name = 'AccountLinkingAndUploadQuotas1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await queryRunner.query(`UPDATE users SET email_verified_at = created_at WHERE password_hash IS NULL`);
    await queryRunner.query(`
      CREATE TABLE revoked_access_tokens (
        jti uuid PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at)`);
    await queryRunner.query(`CREATE INDEX chat_attachments_pending_idx ON chat_attachments (workflow_id, created_at) WHERE thread_id IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX chat_attachments_pending_idx`);
    await queryRunner.query(`DROP TABLE revoked_access_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
