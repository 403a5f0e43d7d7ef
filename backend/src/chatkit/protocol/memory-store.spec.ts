import { ChatKitNotFoundError, ChatKitUnknownCursorError } from './errors';
import { MemoryChatStore } from './memory-store';
import type { AssistantMessageItem, ThreadMetadata } from './types';

interface Ctx {
  user: string;
}

const alice: Ctx = { user: 'alice' };
const bob: Ctx = { user: 'bob' };
const SAME_TIME = '2026-01-01T00:00:00.000Z';

function thread(id: string): ThreadMetadata {
  return { id, created_at: SAME_TIME, status: { type: 'active' }, metadata: {} };
}

function message(id: string, threadId = 'thr_1'): AssistantMessageItem {
  return { id, thread_id: threadId, created_at: SAME_TIME, type: 'assistant_message', content: [{ type: 'output_text', text: id, annotations: [] }] };
}

const ids = (page: { data: Array<{ id: string }> }): string[] => page.data.map((row) => row.id);

describe('MemoryChatStore', () => {
  let store: MemoryChatStore<Ctx>;

  beforeEach(() => {
    store = new MemoryChatStore<Ctx>({ scopeOf: (ctx) => ctx.user });
  });

  describe('item paging (insertion order even with equal timestamps)', () => {
    beforeEach(async () => {
      await store.saveThread(thread('thr_1'), alice);
      for (const id of ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']) await store.addThreadItem('thr_1', message(id), alice);
    });

    it('pages ascending with an exclusive cursor; after only when has_more', async () => {
      const first = await store.loadThreadItems('thr_1', undefined, 4, 'asc', alice);
      expect(first).toEqual({ data: expect.any(Array) as unknown, has_more: true, after: 'i4' });
      expect(ids(first)).toEqual(['i1', 'i2', 'i3', 'i4']);
      const second = await store.loadThreadItems('thr_1', 'i4', 4, 'asc', alice);
      expect(ids(second)).toEqual(['i5', 'i6']);
      expect(second).not.toHaveProperty('after');
      expect(second.has_more).toBe(false);
    });

    it('pages descending', async () => {
      const first = await store.loadThreadItems('thr_1', undefined, 4, 'desc', alice);
      expect([ids(first), first.has_more, first.after]).toEqual([['i6', 'i5', 'i4', 'i3'], true, 'i3']);
      const second = await store.loadThreadItems('thr_1', 'i3', 4, 'desc', alice);
      expect([ids(second), second.has_more]).toEqual([['i2', 'i1'], false]);
    });

    it('reports has_more false for a last page that exactly fills the limit (limit + 1 fetch)', async () => {
      const page = await store.loadThreadItems('thr_1', 'i3', 3, 'asc', alice);
      expect(ids(page)).toEqual(['i4', 'i5', 'i6']);
      expect(page).toEqual({ data: expect.any(Array) as unknown, has_more: false });
    });

    it('throws a typed error for a cursor that names nothing in the thread', async () => {
      await expect(store.loadThreadItems('thr_1', 'nope', 4, 'asc', alice)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
    });

    it('rejects a limit below 1', async () => {
      await expect(store.loadThreadItems('thr_1', undefined, 0, 'asc', alice)).rejects.toBeInstanceOf(RangeError);
    });

    it('returns hidden items too (filtering is the processor job)', async () => {
      await store.addThreadItem('thr_1', { id: 'h', thread_id: 'thr_1', created_at: SAME_TIME, type: 'hidden_context_item', content: 'x' }, alice);
      expect(ids(await store.loadThreadItems('thr_1', undefined, 1, 'desc', alice))).toEqual(['h']);
    });

    it('upserts in place with saveItem, inserts new ids at the end', async () => {
      await store.saveItem('thr_1', { ...message('i2'), content: [{ type: 'output_text', text: 'changed', annotations: [] }] }, alice);
      await store.saveItem('thr_1', message('i7'), alice);
      const page = await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice);
      expect(ids(page)).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7']);
      expect((page.data[1] as AssistantMessageItem).content[0].text).toBe('changed');
    });

    it('refuses to insert a duplicate id', async () => {
      await expect(store.addThreadItem('thr_1', message('i1'), alice)).rejects.toThrow('already exists');
    });

    it('deletes everything after an item (retry), and single items', async () => {
      await store.deleteThreadItemsAfter('thr_1', 'i3', alice);
      await store.deleteThreadItem('thr_1', 'i1', alice);
      await store.deleteThreadItem('thr_1', 'missing', alice);
      expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i2', 'i3']);
      await expect(store.deleteThreadItemsAfter('thr_1', 'gone', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });

    it('returns copies: mutating a loaded item changes nothing stored', async () => {
      const loaded = (await store.loadItem('thr_1', 'i1', alice)) as AssistantMessageItem;
      loaded.content[0].text = 'mutated';
      expect(((await store.loadItem('thr_1', 'i1', alice)) as AssistantMessageItem).content[0].text).toBe('i1');
    });
  });

  describe('threads', () => {
    it('pages threads by creation order in both directions', async () => {
      for (const id of ['t1', 't2', 't3']) await store.saveThread(thread(id), alice);
      // Re-saving (a title change) must not move the thread.
      await store.saveThread({ ...thread('t1'), title: 'renamed' }, alice);
      expect(ids(await store.loadThreads(2, undefined, 'desc', alice))).toEqual(['t3', 't2']);
      expect(await store.loadThreads(2, 't2', 'desc', alice)).toEqual({ data: [{ ...thread('t1'), title: 'renamed' }], has_more: false });
      expect(await store.loadThreads(1, 't1', 'asc', alice)).toMatchObject({ has_more: true, after: 't2' });
      await expect(store.loadThreads(2, 'zzz', 'asc', alice)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
    });

    it('deletes a thread with its items', async () => {
      await store.saveThread(thread('thr_1'), alice);
      await store.addThreadItem('thr_1', message('i1'), alice);
      await store.deleteThread('thr_1', alice);
      await expect(store.loadThread('thr_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      await expect(store.loadItem('thr_1', 'i1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    });
  });

  describe('isolation between principals', () => {
    beforeEach(async () => {
      await store.saveThread(thread('thr_1'), alice);
      await store.addThreadItem('thr_1', message('i1'), alice);
      await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain' }, alice);
    });

    it('makes foreign threads, items and attachments look missing', async () => {
      const foreign: Array<Promise<unknown>> = [
        store.loadThread('thr_1', bob),
        store.loadThreadItems('thr_1', undefined, 20, 'asc', bob),
        store.loadItem('thr_1', 'i1', bob),
        store.addThreadItem('thr_1', message('i2'), bob),
        store.saveItem('thr_1', message('i1'), bob),
        store.deleteThreadItem('thr_1', 'i1', bob),
        store.deleteThread('thr_1', bob),
        store.saveThread({ ...thread('thr_1'), title: 'hijack' }, bob),
        store.loadAttachment('atc_1', bob),
        store.saveAttachment({ id: 'atc_1', type: 'file', name: 'hijack', mime_type: 'text/plain' }, bob),
        store.addFeedback('thr_1', ['i1'], 'negative', bob),
      ];
      for (const attempt of foreign) await expect(attempt).rejects.toBeInstanceOf(ChatKitNotFoundError);
      expect(ids(await store.loadThreads(20, undefined, 'desc', bob))).toEqual([]);
      await expect(store.loadThreads(20, 'thr_1', 'desc', bob)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
      await store.deleteAttachment('atc_1', bob);
      // Nothing of alice's changed.
      expect((await store.loadThread('thr_1', alice)).title).toBeUndefined();
      expect(await store.loadAttachment('atc_1', alice)).toMatchObject({ name: 'a' });
      expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i1']);
      expect(store.feedback).toEqual([]);
    });
  });

  it('upserts and deletes attachments, records feedback', async () => {
    await store.saveThread(thread('thr_1'), alice);
    await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain' }, alice);
    await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain', thread_id: 'thr_1' }, alice);
    expect(await store.loadAttachment('atc_1', alice)).toMatchObject({ thread_id: 'thr_1' });
    await store.deleteAttachment('atc_1', alice);
    await expect(store.loadAttachment('atc_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
    await store.addFeedback('thr_1', ['i1'], 'positive', alice);
    expect(store.feedback).toEqual([{ scope: 'alice', threadId: 'thr_1', itemIds: ['i1'], kind: 'positive' }]);
  });
});
