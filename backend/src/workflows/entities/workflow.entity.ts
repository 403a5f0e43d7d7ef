import type { RunnerDefinition } from '../runner-definition';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type { RunnerDefinition } from '../runner-definition';

/** A workflow and its publish status (the share-link rows live in the publish module). */
@Entity({ name: 'workflows' })
export class WorkflowEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'jsonb', default: () => `'{"kind":"echo"}'::jsonb` })
  runner: RunnerDefinition;

  @Column({ name: 'allowed_origins', type: 'text', array: true, default: () => `'{}'` })
  allowedOrigins: string[];

  @Column({ name: 'is_public', type: 'boolean', default: false })
  isPublic: boolean;

  @Column({ name: 'require_login', type: 'boolean', default: false })
  requireLogin: boolean;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ name: 'published_by', type: 'uuid', nullable: true })
  publishedBy: string | null;

  @Column({ name: 'publish_token_rotated_at', type: 'timestamptz', nullable: true })
  publishTokenRotatedAt: Date | null;

  /** Days to keep this workflow's transcripts; null = the global TRANSCRIPT_RETENTION_DAYS. */
  @Column({ name: 'transcript_retention_days', type: 'integer', nullable: true })
  transcriptRetentionDays: number | null;

  /** The version the public runs (share links, embeds, host sessions); null while private. */
  @Column({ name: 'published_version', type: 'integer', nullable: true })
  publishedVersion: number | null;

  /** The pinned version row, joined by the service's reads (not a column); absent when not loaded. */
  published?: { version: number; runner: RunnerDefinition } | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
