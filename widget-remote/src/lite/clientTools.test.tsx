import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatWidget } from '../ChatWidget';
import type { ChatWidgetOptions } from '../contract';
import { answerEvents, type FakeHandler, fakeServer } from '../test/fakeServer';

const T = '2026-01-01T00:00:00Z';
const thread = { id: 'thr_1', created_at: T, status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } };
const userItem = (text: string) => ({
  id: 'user1',
  thread_id: 'thr_1',
  created_at: T,
  type: 'user_message',
  content: [{ type: 'input_text', text }],
  attachments: [],
  inference_options: {},
});
const toolCall = { id: 'tool1', thread_id: 'thr_1', created_at: T, type: 'client_tool_call', status: 'pending', call_id: 'call_1', name: 'open_page', arguments: { path: '/orders' } };
/** A turn that ends on a client tool call, as the agent runner (and the echo runner's `/tool`) streams it. */
const toolTurn = [
  { type: 'thread.created', thread },
  { type: 'thread.item.done', item: userItem('open my orders') },
  { type: 'stream_options', stream_options: { allow_cancel: true } },
  { type: 'thread.item.done', item: toolCall },
];

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function setup(handlers: Record<string, FakeHandler | FakeHandler[]>, props: Partial<ChatWidgetOptions> = {}) {
  const server = fakeServer({ 'threads.list': () => ({ json: { data: [], has_more: false } }), ...handlers });
  vi.stubGlobal('fetch', server.fetch);
  render(<ChatWidget apiBaseUrl="https://parley.test" workflowId="wf_1" auth={{ kind: 'publishToken', token: 'pub_x' }} renderer="lite" {...props} />);
  return server;
}

async function send(text: string) {
  await screen.findByTestId('parley-start');
  fireEvent.change(screen.getByTestId('parley-composer'), { target: { value: text } });
  fireEvent.keyDown(screen.getByTestId('parley-composer'), { key: 'Enter' });
}

const toolMessage = () => document.querySelector<HTMLElement>('[data-item-id="tool1"]');

describe('client tools in the lite renderer', () => {
  it('runs onClientTool with the call, sends its result with threads.add_client_tool_output and streams the rest of the turn', async () => {
    const calls: unknown[] = [];
    const server = setup(
      {
        'threads.create': () => ({ events: toolTurn }),
        'threads.add_client_tool_output': () => ({ events: [{ type: 'stream_options', stream_options: { allow_cancel: true } }, ...answerEvents('thr_1', 'asst1', 'Your orders are open.')] }),
      },
      {
        onClientTool: async (call) => {
          calls.push(call);
          return { opened: call.arguments.path };
        },
      },
    );
    await send('open my orders');

    await waitFor(() => expect(server.ofType('threads.add_client_tool_output')).toHaveLength(1));
    expect(calls).toEqual([{ name: 'open_page', arguments: { path: '/orders' } }]);
    expect(server.ofType('threads.add_client_tool_output')[0]!.body!.params).toEqual({ thread_id: 'thr_1', result: { opened: '/orders' } });
    expect(await screen.findByText('Your orders are open.')).toBeTruthy();
    expect(toolMessage()?.textContent).toBe('Ran “open_page”.');
    expect(toolMessage()?.dataset.status).toBe('completed');
  });

  it('sends a failure as {error} and a non-object result as {result}, so the turn goes on', async () => {
    const continuation = () => ({ events: answerEvents('thr_1', 'asst1', 'Noted.') });
    const failing = setup(
      { 'threads.create': () => ({ events: toolTurn }), 'threads.add_client_tool_output': continuation },
      {
        onClientTool: () => {
          throw new Error('the page refused');
        },
      },
    );
    await send('open my orders');
    await waitFor(() => expect(failing.ofType('threads.add_client_tool_output')).toHaveLength(1));
    expect(failing.ofType('threads.add_client_tool_output')[0]!.body!.params).toEqual({ thread_id: 'thr_1', result: { error: 'the page refused' } });
    cleanup();

    const primitive = setup({ 'threads.create': () => ({ events: toolTurn }), 'threads.add_client_tool_output': continuation }, { onClientTool: () => 42 });
    await send('open my orders');
    await waitFor(() => expect(primitive.ofType('threads.add_client_tool_output')).toHaveLength(1));
    expect(primitive.ofType('threads.add_client_tool_output')[0]!.body!.params).toEqual({ thread_id: 'thr_1', result: { result: 42 } });
  });

  it('without onClientTool shows the call as unsupported and answers nothing', async () => {
    const server = setup({ 'threads.create': () => ({ events: toolTurn }) });
    await send('open my orders');
    await waitFor(() => expect(toolMessage()?.textContent).toBe('The assistant asked to run “open_page”, which this chat cannot do.'));
    expect(server.ofType('threads.add_client_tool_output')).toHaveLength(0);
  });

  it('does not run a pending call seen in history, only one that arrives live', async () => {
    const onClientTool = vi.fn(() => ({ ok: true }));
    setup(
      {
        'threads.list': () => ({ json: { data: [{ ...thread, title: 'Earlier' }], has_more: false } }),
        'threads.get_by_id': () => ({ json: { ...thread, title: 'Earlier', items: { data: [userItem('open my orders'), toolCall], has_more: false } } }),
      },
      { onClientTool },
    );
    await waitFor(() => expect(toolMessage()).toBeTruthy());
    expect(onClientTool).not.toHaveBeenCalled();
  });
});

describe('approval cards in the lite renderer (CONTRACTS §3)', () => {
  const approvalCard = {
    id: 'wdg1',
    thread_id: 'thr_1',
    created_at: T,
    type: 'widget',
    widget: {
      type: 'Card',
      children: [
        { type: 'Text', value: 'Approve “refund_order”?' },
        { type: 'Markdown', value: '```json\n{\n  "orderId": "A-17"\n}\n```' },
        {
          type: 'Row',
          children: [
            { type: 'Button', label: 'Approve', onClickAction: { type: 'parley.approval', payload: { callId: 'call_9', decision: 'approve' } } },
            { type: 'Button', label: 'Deny', onClickAction: { type: 'parley.approval', payload: { callId: 'call_9', decision: 'deny' } } },
          ],
        },
      ],
    },
  };
  const decided = { ...approvalCard, widget: { type: 'Card', children: [{ type: 'Text', value: 'Approved by vis_…12ab at 10:04' }] } };

  it('shows the arguments pretty-printed and sends the decision as threads.custom_action; the replaced card is read-only', async () => {
    const server = setup({
      'threads.create': () => ({ events: [{ type: 'thread.created', thread }, { type: 'thread.item.done', item: userItem('refund A-17') }, { type: 'thread.item.done', item: approvalCard }] }),
      'threads.custom_action': () => ({
        events: [
          { type: 'stream_options', stream_options: { allow_cancel: false } },
          { type: 'thread.item.replaced', item: decided },
          ...answerEvents('thr_1', 'asst1', 'Refunded A-17.'),
        ],
      }),
    });
    await send('refund A-17');

    const code = await screen.findByText((_, element) => element?.tagName === 'CODE');
    expect(code.textContent).toBe('{\n  "orderId": "A-17"\n}');
    expect(screen.getByRole('button', { name: 'Deny' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));

    await waitFor(() => expect(server.ofType('threads.custom_action')).toHaveLength(1));
    expect(server.ofType('threads.custom_action')[0]!.body!.params).toEqual({
      thread_id: 'thr_1',
      item_id: 'wdg1',
      action: { type: 'parley.approval', payload: { callId: 'call_9', decision: 'approve' } },
    });
    expect(await screen.findByText('Refunded A-17.')).toBeTruthy();
    expect(screen.getByText('Approved by vis_…12ab at 10:04')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});

describe('server tool calls in the lite renderer', () => {
  it('shows each tool as a task whose status moves from loading to complete or an error line', async () => {
    const wf = (tasks: unknown[]) => ({ id: 'wf1', thread_id: 'thr_1', created_at: T, type: 'workflow', workflow: { type: 'custom', tasks, expanded: false } });
    setup({
      'threads.create': () => ({
        events: [
          { type: 'thread.created', thread },
          { type: 'thread.item.done', item: userItem('look it up') },
          { type: 'thread.item.added', item: wf([{ type: 'custom', title: 'lookup_order', status_indicator: 'loading' }]) },
          { type: 'thread.item.updated', item_id: 'wf1', update: { type: 'workflow.task.updated', task_index: 0, task: { type: 'custom', title: 'lookup_order', status_indicator: 'complete' } } },
          { type: 'thread.item.updated', item_id: 'wf1', update: { type: 'workflow.task.added', task_index: 1, task: { type: 'custom', title: 'notify', status_indicator: 'none', content: 'Error: the tool timed out' } } },
          { type: 'thread.item.done', item: wf([{ type: 'custom', title: 'lookup_order', status_indicator: 'complete' }, { type: 'custom', title: 'notify', status_indicator: 'none', content: 'Error: the tool timed out' }]) },
          ...answerEvents('thr_1', 'asst1', 'Done.'),
        ],
      }),
    });
    await send('look it up');
    await screen.findByText('Done.');
    const tasks = screen.getAllByTestId('parley-task');
    expect(tasks.map((t) => [t.dataset.status, t.textContent])).toEqual([
      ['complete', '✓ lookup_order'],
      ['none', 'notify — Error: the tool timed out'],
    ]);
    expect(document.querySelector('[data-item-id="wf1"] summary')?.textContent).toBe('Used 2 tools');
  });
});
