import { describeChatStoreContract } from '../../test/chat-protocol/chat-store-contract';
import { MemoryChatStore } from '../../test/fakes/memory-store';

interface Ctx {
  user: string;
}

describeChatStoreContract<Ctx>('MemoryChatStore', async () => {
  const store = new MemoryChatStore<Ctx>({ scopeOf: (ctx) => ctx.user });
  return {
    store,
    alice: { user: 'alice' },
    strangers: [{ label: 'another user', ctx: { user: 'bob' } }],
    feedbackOf: async (ctx) =>
      store.feedback.filter((entry) => entry.scope === ctx.user).map(({ threadId, itemIds, kind }) => ({ threadId, itemIds, kind })),
  };
});
