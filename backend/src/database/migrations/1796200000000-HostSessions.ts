import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Host-app end users and external engines (docs/embedding.md, sections 7 and 8):
 * - `workflow_server_keys`: `wsk_…` keys of one workflow, SHA-256 only, revocable;
 * - `host_sessions`: the durable, revocable records behind the 5-minute `host` chat JWTs (one per
 *   workflow, host user and device);
 * - `host_users`: the newest profile (email, name) a host sent for one of its users, for the owner's
 *   transcript viewer and exports;
 * - `webhook_secrets`: the per-workflow signing secret of the `webhook` runner, encrypted (Parley
 *   must sign with it, so a hash will not do);
 * - `host` becomes a transcript principal kind;
 * - `webhook` becomes a runner kind. The agent-core migration (1796000000000) widens the same check
 *   to `echo, openai, agent, webhook`; this one sets that exact list, so either order is consistent.
 */
export class HostSessions1796200000000 implements MigrationInterface {
  name = 'HostSessions1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workflow_server_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
        token_hash bytea NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX workflow_server_keys_workflow_idx ON workflow_server_keys (workflow_id, created_at DESC)`);

    await queryRunner.query(`
      CREATE TABLE host_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        host_user_id text NOT NULL CHECK (char_length(host_user_id) BETWEEN 1 AND 200),
        device_id text NOT NULL DEFAULT 'default' CHECK (char_length(device_id) BETWEEN 1 AND 200),
        server_key_id uuid REFERENCES workflow_server_keys(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX host_sessions_reuse_idx ON host_sessions (workflow_id, host_user_id, device_id, expires_at DESC)`);
    await queryRunner.query(`CREATE INDEX host_sessions_list_idx ON host_sessions (workflow_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX host_sessions_expires_idx ON host_sessions (expires_at)`);

    await queryRunner.query(`
      CREATE TABLE host_users (
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        host_user_id text NOT NULL CHECK (char_length(host_user_id) BETWEEN 1 AND 200),
        email text,
        name text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workflow_id, host_user_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE webhook_secrets (
        workflow_id uuid PRIMARY KEY REFERENCES workflows(id) ON DELETE CASCADE,
        secret_encrypted text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz
      )`);

    for (const table of ['chat_threads', 'chat_attachments']) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_principal_kind_check`);
      await queryRunner.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_principal_kind_check CHECK (principal_kind IN ('user', 'visitor', 'oauth', 'host'))`,
      );
    }
    await queryRunner.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_runner_check`);
    await queryRunner.query(`ALTER TABLE workflows ADD CONSTRAINT workflows_runner_check CHECK (runner->>'kind' IN ('echo', 'openai', 'agent', 'webhook'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // With the agent-core migration applied, `agent` and `webhook` are its kinds and stay; without
    // it, webhook workflows fall back to the echo runner and the check returns to `echo, openai`.
    const [{ agent }] = await queryRunner.query(`SELECT to_regclass('agent_tool_calls') IS NOT NULL AS agent`);
    if (!agent) {
      await queryRunner.query(`UPDATE workflows SET runner = '{"kind":"echo"}'::jsonb WHERE runner->>'kind' NOT IN ('echo', 'openai')`);
      await queryRunner.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_runner_check`);
      await queryRunner.query(`ALTER TABLE workflows ADD CONSTRAINT workflows_runner_check CHECK (runner->>'kind' IN ('echo', 'openai'))`);
    }
    // Host users' transcripts cannot exist without the kind: they go with it.
    await queryRunner.query(`DELETE FROM chat_attachments WHERE principal_kind = 'host'`);
    await queryRunner.query(`DELETE FROM chat_threads WHERE principal_kind = 'host'`);
    for (const table of ['chat_threads', 'chat_attachments']) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_principal_kind_check`);
      await queryRunner.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_principal_kind_check CHECK (principal_kind IN ('user', 'visitor', 'oauth'))`);
    }
    await queryRunner.query(`DROP TABLE webhook_secrets`);
    await queryRunner.query(`DROP TABLE host_users`);
    await queryRunner.query(`DROP TABLE host_sessions`);
    await queryRunner.query(`DROP TABLE workflow_server_keys`);
  }
}
