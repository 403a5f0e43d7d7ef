import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Published versions (WORKFLOWS §8): immutable snapshots of a workflow's runner definition, the
 * version the public runs (`workflows.published_version`), and the version that produced each
 * chat item (`chat_items.workflow_version`, null for the owner's draft chats and older rows).
 * Workflows that are public when this runs get version 1 = their current runner, pinned.
 */
export class WorkflowVersions1796100000000 implements MigrationInterface {
  name = 'WorkflowVersions1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE workflow_versions (
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        runner jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        PRIMARY KEY (workflow_id, version)
      )`);
    await queryRunner.query(`ALTER TABLE workflows ADD COLUMN published_version integer`);
    await queryRunner.query(`
      ALTER TABLE workflows ADD CONSTRAINT workflows_published_version_fkey
        FOREIGN KEY (id, published_version) REFERENCES workflow_versions (workflow_id, version)`);
    await queryRunner.query(`ALTER TABLE chat_items ADD COLUMN workflow_version integer`);
    await queryRunner.query(`
      INSERT INTO workflow_versions (workflow_id, version, runner, created_at, created_by)
      SELECT id, 1, runner, COALESCE(published_at, now()), published_by FROM workflows WHERE is_public`);
    await queryRunner.query(`UPDATE workflows SET published_version = 1 WHERE is_public`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE chat_items DROP COLUMN workflow_version`);
    await queryRunner.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_published_version_fkey`);
    await queryRunner.query(`ALTER TABLE workflows DROP COLUMN published_version`);
    await queryRunner.query(`DROP TABLE workflow_versions`);
  }
}
