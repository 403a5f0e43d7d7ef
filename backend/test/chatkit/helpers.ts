import request from 'supertest';
import { ChatKitModule } from '../../src/chatkit/chatkit.module';
import { parseSse } from '../chat-protocol/conformance/replayer';
import { createOwner, Owner } from '../factories/owners';
import { createTestApp, TestApp, TestAppOptions } from '../setup/test-app';

/**
 * Rate limits out of the way: these suites replay hundreds of requests as one principal (the
 * conformance README's execution model); the limiter is tested on its own.
 */
const UNLIMITED = { RATE_LIMIT_PER_PRINCIPAL: '1000000', RATE_LIMIT_PER_IP: '1000000', RATE_LIMIT_PER_LINK: '1000000' };

/** The app with the ChatKit gateway (and whatever AppModule already wires). */
export function createChatApp(options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({ ...options, env: { ...UNLIMITED, ...options.env }, imports: [ChatKitModule, ...(options.imports ?? [])] });
}

export type RunnerBody = { kind: 'echo' } | { kind: 'openai'; provider: 'openai' | 'gemini' | 'compatible'; model: string; instructions?: string; baseUrl?: string };

/** Creates a workflow through the API; echo runner unless told otherwise. */
export async function createWorkflow(t: TestApp, owner: Owner, runner: RunnerBody = { kind: 'echo' }): Promise<string> {
  const res = await request(t.app.getHttpServer()).post('/api/workflows').set('Authorization', owner.auth).send({ name: 'Chat', runner }).expect(201);
  return res.body.id as string;
}

/** A chat session token for `owner` on `workflowId`. */
export async function chatToken(t: TestApp, owner: Owner, workflowId: string): Promise<string> {
  const res = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/chatkit/session`).set('Authorization', owner.auth).send({}).expect(200);
  return res.body.token as string;
}

/** An owner, one of their workflows and a chat token for it. */
export async function chatter(t: TestApp, runner?: RunnerBody): Promise<{ owner: Owner; workflowId: string; token: string }> {
  const owner = await createOwner(t.app, 'chatter');
  const workflowId = await createWorkflow(t, owner, runner);
  return { owner, workflowId, token: await chatToken(t, owner, workflowId) };
}

/** Wire JSON as tests read it: loose on purpose (like supertest's `res.body`), the assertions check the shapes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WireJson = any;

/** What `/api/chatkit` answered: the parsed JSON body or the SSE events. */
export interface ChatKitAnswer {
  status: number;
  contentType: string;
  headers: Headers;
  body?: WireJson;
  events?: WireJson[];
  text: string;
}

/** POSTs a ChatKit request over real HTTP and reads the whole answer. */
export async function chatkit(baseUrl: string, token: string | null, body: unknown, headers: Record<string, string> = {}): Promise<ChatKitAnswer> {
  const res = await fetch(`${baseUrl}/api/chatkit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  const answer: ChatKitAnswer = { status: res.status, contentType, headers: res.headers, text };
  if (contentType.startsWith('text/event-stream')) {
    const parsed = parseSse(text);
    if (parsed.problems.length) throw new Error(`malformed SSE: ${parsed.problems.join('; ')}`);
    answer.events = parsed.events;
  } else if (text) answer.body = JSON.parse(text);
  return answer;
}

/** `threads.create` with a text message; returns the new thread id and the events. */
export async function createThread(baseUrl: string, token: string, text = 'hello'): Promise<{ threadId: string; events: WireJson[] }> {
  const answer = await chatkit(baseUrl, token, { type: 'threads.create', params: { input: { content: [{ type: 'input_text', text }] } } });
  if (answer.status !== 200 || !answer.events) throw new Error(`threads.create answered ${answer.status}: ${answer.text}`);
  return { threadId: answer.events[0].thread.id as string, events: answer.events };
}

export const input = (text: string, attachments: string[] = []) => ({ content: [{ type: 'input_text', text }], attachments, inference_options: {} });
