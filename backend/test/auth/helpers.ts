import { createHmac, generateKeyPairSync, KeyObject, sign as ecdsaSign } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';

export const PASSWORD = 'correct horse battery staple';
export const REQUEST_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);

/** The exact error body the filter writes. */
export const errorBody = (statusCode: number, code: string) =>
  expect.objectContaining({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });

export interface Session {
  userId: string;
  email: string;
  accessToken: string;
  /** `name=value` pairs for a Cookie header, per cookie name. */
  cookies: Record<string, string>;
  /** Raw Set-Cookie lines of the login response. */
  setCookie: string[];
}

let counter = 0;
export const uniqueEmail = (name = 'owner') => `${name}-${process.pid}-${Date.now()}-${counter++}@example.com`;

/** Parses Set-Cookie lines into name → value (empty value for cleared cookies). */
export function cookiesOf(setCookie: string[] | string | undefined): Record<string, string> {
  const lines = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return Object.fromEntries(lines.map((l) => l.split(';')[0]).map((kv) => [kv.slice(0, kv.indexOf('=')), decodeURIComponent(kv.slice(kv.indexOf('=') + 1))]));
}

export const cookieHeader = (cookies: Record<string, string>, ...names: string[]) => names.map((n) => `${n}=${cookies[n]}`).join('; ');

export async function register(app: INestApplication, email = uniqueEmail(), password = PASSWORD): Promise<{ id: string; email: string }> {
  const res = await request(app.getHttpServer()).post('/api/auth/register').send({ email, password }).expect(201);
  return res.body.user as { id: string; email: string };
}

export async function login(app: INestApplication, email: string, password = PASSWORD): Promise<Session> {
  const res = await request(app.getHttpServer()).post('/api/auth/login').send({ email, password }).expect(200);
  const setCookie = res.headers['set-cookie'] as unknown as string[];
  return { userId: res.body.user.id, email, accessToken: res.body.accessToken, cookies: cookiesOf(setCookie), setCookie };
}

export async function signUp(app: INestApplication, name = 'owner'): Promise<Session> {
  const { email } = await register(app, uniqueEmail(name));
  return login(app, email);
}

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

/** A real ES256 JWS made outside Parley (for unknown-key and forged-token tests). */
export function signEs256(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = ecdsaSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export function signHs256(header: object, payload: object, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function unsigned(header: object, payload: object): string {
  return `${b64(header)}.${b64(payload)}.`;
}

/** Replaces the payload of a signed token, keeping its header and signature. */
export function withPayload(token: string, payload: object): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64(payload)}.${s}`;
}

export const freshEcKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
