import request from 'supertest';
import type { Owner } from '../factories/owners';
import type { TestApp } from '../setup/test-app';

export const error = (statusCode: number, code: string) => ({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });

/** Creates a server key through the owner API; returns the plain key and its id. */
export async function createServerKey(t: TestApp, owner: Owner, workflowId: string, name = 'backend'): Promise<{ id: string; key: string }> {
  const res = await request(t.app.getHttpServer()).post(`/api/workflows/${workflowId}/server-keys`).set('Authorization', owner.auth).send({ name }).expect(201);
  return { id: res.body.id as string, key: res.body.key as string };
}

export interface MintedSession {
  client_secret: string;
  expires_at: number;
  session_id: string;
}

/** Mints an end-user session with a server key, as a host backend does (no Origin, no cookies). */
export async function mintSession(t: TestApp, key: string, workflowId: string, user: Record<string, unknown>, deviceId?: string): Promise<MintedSession> {
  const res = await fetch(`${t.baseUrl}/api/workflows/${workflowId}/end-user-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(deviceId ? { deviceId } : {}) }),
  });
  const body = (await res.json()) as MintedSession;
  if (res.status !== 200) throw new Error(`mint answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}
