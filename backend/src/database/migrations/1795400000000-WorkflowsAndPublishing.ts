import { MigrationInterface, QueryRunner } from 'typeorm';

/** Workflows, their share links (hash only, one active per workflow) and the audit owner column. */
export class WorkflowsAndPublishing1795400000000 implements MigrationInterface {
  name = 'WorkflowsAndPublishing1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workflows (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
        description text NOT NULL DEFAULT '',
        runner jsonb NOT NULL DEFAULT '{"kind":"echo"}'::jsonb CHECK (runner->>'kind' IN ('echo', 'openai')),
        allowed_origins text[] NOT NULL DEFAULT '{}',
        is_public boolean NOT NULL DEFAULT false,
        require_login boolean NOT NULL DEFAULT false,
        published_at timestamptz,
        published_by uuid REFERENCES users(id) ON DELETE SET NULL,
        publish_token_rotated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX workflows_owner_created_idx ON workflows (owner_id, created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE publish_links (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        status text NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        rotated_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX publish_links_token_hash_key ON publish_links (token_hash)`);
    await queryRunner.query(`CREATE UNIQUE INDEX publish_links_one_active ON publish_links (workflow_id) WHERE status = 'active'`);
    await queryRunner.query(`CREATE INDEX publish_links_workflow_idx ON publish_links (workflow_id, created_at)`);
    await queryRunner.query(`ALTER TABLE audit_events ADD COLUMN owner_id uuid REFERENCES users(id) ON DELETE CASCADE`);
    await queryRunner.query(`CREATE INDEX audit_events_owner_idx ON audit_events (owner_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX audit_events_owner_idx`);
    await queryRunner.query(`ALTER TABLE audit_events DROP COLUMN owner_id`);
    await queryRunner.query(`DROP TABLE publish_links`);
    await queryRunner.query(`DROP TABLE workflows`);
  }
}
