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

import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';

/** ops/examples/webhook-engine/server.mjs, run as its README says (a child process). */
export const WEBHOOK_ENGINE = path.resolve(__dirname, '../../../ops/examples/webhook-engine/server.mjs');

export interface EngineProcess {
  url: string;
  log(): Promise<{ verdict: string; identity: boolean; aborted: boolean; user: string | null; kind: string | null; text: string; historyLength: number; authorization: string | null }[]>;
  close(): Promise<void>;
}

/** Starts the example engine with `secret` on a free loopback port. */
export async function startEngine(secret: string): Promise<EngineProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [WEBHOOK_ENGINE], { env: { ...process.env, WEBHOOK_SECRET: secret, PORT: '0' }, stdio: 'pipe' });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`engine exited with ${code}: ${out}`)));
  });
  return {
    url,
    log: async () => (await fetch(new URL('/_log', url))).json() as never,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
