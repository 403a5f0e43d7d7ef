import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent workflows (issue 14): the `agent` runner kind (and `webhook`, whose branch shares this
 * check so neither migration undoes the other), and `agent_tool_calls`, one row per tool call a
 * model made — its arguments, approval state, outcome and the output the model was given. Rows
 * let a decision arrive on any instance after any restart, rebuild the model's context, and feed
 * analytics. They are deleted with their thread (and workflow).
 */
export class AgentRunner1796000000000 implements MigrationInterface {
  name = 'AgentRunner1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_runner_check`);
    await queryRunner.query(`ALTER TABLE workflows ADD CONSTRAINT workflows_runner_check CHECK (runner->>'kind' IN ('echo', 'openai', 'agent', 'webhook'))`);
    await queryRunner.query(`
      CREATE TABLE agent_tool_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        thread_id text NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
        call_id text NOT NULL CHECK (char_length(call_id) BETWEEN 1 AND 200),
        batch_id text NOT NULL,
        position integer NOT NULL DEFAULT 0,
        item_id text,
        tool_name text NOT NULL,
        tool_type text NOT NULL CHECK (tool_type IN ('http', 'mcp', 'client')),
        tool_source text,
        arguments jsonb NOT NULL,
        approval text NOT NULL DEFAULT 'none' CHECK (approval IN ('none', 'pending', 'approved', 'denied')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed', 'denied')),
        output text,
        error text,
        duration_ms integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        decided_by text,
        decided_at timestamptz,
        UNIQUE (thread_id, call_id)
      )`);
    await queryRunner.query(`CREATE INDEX agent_tool_calls_thread_idx ON agent_tool_calls (thread_id, created_at, position)`);
    await queryRunner.query(`CREATE INDEX agent_tool_calls_workflow_idx ON agent_tool_calls (workflow_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE agent_tool_calls`);
    await queryRunner.query(`UPDATE workflows SET runner = '{"kind":"echo"}'::jsonb WHERE runner->>'kind' NOT IN ('echo', 'openai')`);
    await queryRunner.query(`ALTER TABLE workflows DROP CONSTRAINT workflows_runner_check`);
    await queryRunner.query(`ALTER TABLE workflows ADD CONSTRAINT workflows_runner_check CHECK (runner->>'kind' IN ('echo', 'openai'))`);
  }
}
