import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `continued_at` on `agent_tool_calls`: set on every call of a step when one request takes the
 * turn on after the step's last decision settled, so two decisions landing at once (two cards of
 * one step, two instances) continue the answer exactly once.
 */
export class AgentToolCallContinuation1796000000001 implements MigrationInterface {
  name = 'AgentToolCallContinuation1796000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE agent_tool_calls ADD COLUMN continued_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE agent_tool_calls DROP COLUMN continued_at`);
  }
}
