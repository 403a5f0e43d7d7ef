import { MigrationInterface, QueryRunner } from 'typeorm';

/** Durable chat sessions: the revocable records behind the 5-minute chat JWTs (one per user, workflow and device). */
export class ChatSessions1795700000000 implements MigrationInterface {
  name = 'ChatSessions1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE chat_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        device_id text NOT NULL DEFAULT 'default' CHECK (char_length(device_id) BETWEEN 1 AND 200),
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    // Reuse lookups (user, workflow, device, newest first) and the caller's list.
    await queryRunner.query(`CREATE INDEX chat_sessions_reuse_idx ON chat_sessions (user_id, workflow_id, device_id, expires_at DESC)`);
    await queryRunner.query(`CREATE INDEX chat_sessions_expires_idx ON chat_sessions (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE chat_sessions`);
  }
}
