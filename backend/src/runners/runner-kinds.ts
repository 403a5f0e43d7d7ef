import { DiscoveryService } from '@nestjs/core';
import type OpenAI from 'openai';
import type { Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import type { RunnerDefinition } from '../workflows/runner-definition';
import type { ChatContext } from './chat-context';
import type { OpenAIProvider } from './openai-runner';

/** A runner kind, as in a workflow's runner definition (`{kind: 'agent', …}`). */
export type RunnerKindName = RunnerDefinition['kind'];

/**
 * What the runner factory lends to builders for one request: the model endpoints and clients it
 * manages, with configuration problems worded for the request's audience (owner or public).
 */
export interface ModelEndpoints {
  /** An SDK client for `provider` (server-held keys only), or why there is none. */
  endpoint(provider: OpenAIProvider, workflowBaseUrl: string | undefined): { client: OpenAI } | { reason: string };
  /** The plain model runner of a definition (e.g. for dictation in another kind of runner). */
  openai(definition: Extract<RunnerDefinition, { kind: 'openai' }>, store: ChatStore<ChatContext>): Runner<ChatContext>;
  /** Deadline of one model request, ms. */
  readonly timeoutMs: number;
}

/**
 * Builds the runners of one kind. Register an implementation by decorating a provider with
 * `@RunnerKind('kind')` in any module of the app: the runner factory finds it, so adding a kind
 * (the agent) never edits the factory, and the factory's module never imports the kind's module.
 */
export interface RunnerBuilder<K extends RunnerKindName = RunnerKindName> {
  create(definition: Extract<RunnerDefinition, { kind: K }>, store: ChatStore<ChatContext>, models: ModelEndpoints): Runner<ChatContext>;
}

/** Marks a provider as the `RunnerBuilder` of one runner kind. */
export const RunnerKind = DiscoveryService.createDecorator<RunnerKindName>();
