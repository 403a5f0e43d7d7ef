import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ChatKit transcript store: threads, items, attachments and feedback, each scoped by
 * workflow and principal (kind + id).
 *
 * - `ordinal` identities give a stable creation order that equal timestamps cannot shuffle;
 *   paging cursors are ids resolved to ordinals through the primary keys.
 * - Item bodies are `json`, not `jsonb`: `json` keeps the text as sent, so key order survives
 *   (the echo runner's `JSON(output)` and the conformance vectors depend on it, and clients may
 *   too). Queries never look inside it: `type` and `hidden` are real columns.
 * - Every list/page query is served by a composite index whose leading columns are the filter
 *   and whose last column is the ordinal, so its cost does not grow with the table.
 */
export class ChatTranscripts1795500000000 implements MigrationInterface {
  name = 'ChatTranscripts1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE chat_threads (
        id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
        ordinal bigint GENERATED ALWAYS AS IDENTITY,
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'visitor', 'oauth')),
        principal_id text NOT NULL CHECK (char_length(principal_id) BETWEEN 1 AND 512),
        title text,
        status jsonb NOT NULL DEFAULT '{"type":"active"}'::jsonb,
        allowed_image_domains text[],
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX chat_threads_scope_ordinal_idx ON chat_threads (workflow_id, principal_kind, principal_id, ordinal)`,
    );

    await queryRunner.query(`
      CREATE TABLE chat_items (
        id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
        ordinal bigint GENERATED ALWAYS AS IDENTITY,
        thread_id text NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
        type text NOT NULL,
        hidden boolean NOT NULL DEFAULT false,
        data json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Serves item pages in both directions, the retry deletion and the thread FK cascade.
    await queryRunner.query(`CREATE UNIQUE INDEX chat_items_thread_ordinal_key ON chat_items (thread_id, ordinal)`);

    await queryRunner.query(`
      CREATE TABLE chat_attachments (
        id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'visitor', 'oauth')),
        principal_id text NOT NULL CHECK (char_length(principal_id) BETWEEN 1 AND 512),
        thread_id text REFERENCES chat_threads(id) ON DELETE CASCADE,
        name text NOT NULL,
        mime_type text NOT NULL,
        size bigint CHECK (size >= 0),
        data json NOT NULL,
        bytes bytea,
        content_type text,
        uploaded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((bytes IS NULL) = (uploaded_at IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX chat_attachments_scope_idx ON chat_attachments (workflow_id, principal_kind, principal_id)`);
    await queryRunner.query(`CREATE INDEX chat_attachments_thread_idx ON chat_attachments (thread_id) WHERE thread_id IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE chat_feedback (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        thread_id text NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
        item_ids text[] NOT NULL,
        kind text NOT NULL CHECK (kind IN ('positive', 'negative')),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        principal_kind text NOT NULL,
        principal_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX chat_feedback_thread_idx ON chat_feedback (thread_id, created_at)`);
    await queryRunner.query(`CREATE INDEX chat_feedback_workflow_idx ON chat_feedback (workflow_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE chat_feedback`);
    await queryRunner.query(`DROP TABLE chat_attachments`);
    await queryRunner.query(`DROP TABLE chat_items`);
    await queryRunner.query(`DROP TABLE chat_threads`);
  }
}
