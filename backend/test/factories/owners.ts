import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';

export interface Owner {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  /** `Authorization` header value. */
  auth: string;
}

/** Registers and signs in a fresh owner through the public API. */
export async function createOwner(app: INestApplication, name = 'owner'): Promise<Owner> {
  const email = `${name}-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery staple';
  const server = app.getHttpServer();
  await request(server).post('/api/auth/register').send({ email, password }).expect(201);
  const login = await request(server).post('/api/auth/login').send({ email, password }).expect(200);
  const accessToken = login.body.accessToken as string;
  return { id: login.body.user.id as string, email, password, accessToken, auth: `Bearer ${accessToken}` };
}
