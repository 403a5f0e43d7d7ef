import { MigrationInterface, QueryRunner } from 'typeorm';

/** Owner transcript reading (all principals of a workflow, newest first) and retention sweeps. */
export class TranscriptRetention1795600000000 implements MigrationInterface {
  name = 'TranscriptRetention1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE workflows ADD COLUMN transcript_retention_days integer CHECK (transcript_retention_days BETWEEN 1 AND 36500)`,
    );
    await queryRunner.query(`CREATE INDEX chat_threads_workflow_ordinal_idx ON chat_threads (workflow_id, ordinal)`);
    await queryRunner.query(`CREATE INDEX chat_threads_updated_idx ON chat_threads (updated_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX chat_threads_updated_idx`);
    await queryRunner.query(`DROP INDEX chat_threads_workflow_ordinal_idx`);
    await queryRunner.query(`ALTER TABLE workflows DROP COLUMN transcript_retention_days`);
  }
}
