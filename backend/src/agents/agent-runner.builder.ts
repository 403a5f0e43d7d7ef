import { Injectable } from '@nestjs/common';
import type { Runner } from '../chat-protocol/runner';
import type { ChatStore } from '../chat-protocol/store';
import type { ChatContext } from '../runners/chat-context';
import type { OpenAIRunner } from '../runners/openai-runner';
import { ModelEndpoints, RunnerBuilder, RunnerKind } from '../runners/runner-kinds';
import type { AgentRunnerDefinition } from '../workflows/runner-definition';
import { AgentRunner } from './agent-runner';
import { AgentRuntime } from './agent-runtime';

/** Builds the runners of `agent` workflows, on the runner factory's model endpoints and the agent runtime. */
@RunnerKind('agent')
@Injectable()
export class AgentRunnerBuilder implements RunnerBuilder<'agent'> {
  constructor(private readonly runtime: AgentRuntime) {}

  create(definition: AgentRunnerDefinition, store: ChatStore<ChatContext>, models: ModelEndpoints): Runner<ChatContext> {
    const endpoint = models.endpoint(definition.provider, definition.baseUrl);
    // Dictation works as for an `openai` runner of the same provider.
    const speech = models.openai({ kind: 'openai', provider: definition.provider, model: definition.model, baseUrl: definition.baseUrl }, store) as OpenAIRunner<ChatContext>;
    return new AgentRunner({
      definition,
      transcribe: (audio, ctx) => speech.transcribe(audio, ctx),
      client: 'client' in endpoint ? endpoint.client : null,
      unavailableReason: 'reason' in endpoint ? endpoint.reason : undefined,
      timeoutMs: models.timeoutMs,
      store,
      runtime: this.runtime,
    });
  }
}
