import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RunnerDefinition } from './workflow.entity';

/**
 * An immutable published snapshot of a workflow's runner definition (tools included, header
 * secrets in their stored, encrypted form). Rows are only ever inserted.
 */
@Entity({ name: 'workflow_versions' })
export class WorkflowVersionEntity {
  @PrimaryColumn({ name: 'workflow_id', type: 'uuid' })
  workflowId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  @Column({ type: 'jsonb' })
  runner: RunnerDefinition;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;
}
