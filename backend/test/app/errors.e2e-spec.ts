import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { IsEmail, IsInt, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import request from 'supertest';
import { Public } from '../../src/common/http/public.decorator';
import { DomainError } from '../../src/common/errors/domain-error';
import { createTestApp, TestApp } from '../setup/test-app';

class InnerDto {
  @IsInt()
  @Min(1)
  count: number;
}

class ProbeDto {
  @IsString()
  @MaxLength(5)
  name: string;

  @IsEmail()
  email: string;

  @ValidateNested()
  @Type(() => InnerDto)
  inner: InnerDto;
}

class NameDto {
  @IsString()
  name: string;
}

/** A test-only controller that exercises the global pipeline (pipe, filter, body parser). */
@Public()
@Controller('test-probe')
class ProbeController {
  @Post('validate')
  validate(@Body() body: ProbeDto): { ok: true; name: string } {
    return { ok: true, name: body.name };
  }

  @Post('name')
  name(@Body() body: NameDto): { name: string } {
    return { name: body.name };
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail at /srv/app.js:42');
  }

  @Get('domain')
  domain(): never {
    throw new DomainError('not_found', 'No such thing.', { id: 'x' });
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const REQUEST_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);

describe('error bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ imports: [ProbeModule], env: { BODY_LIMIT: '2kb' } });
  });
  afterAll(() => t.close());

  it('answers 404 not_found for an unknown route', async () => {
    const res = await request(t.app.getHttpServer()).get('/no/such/route').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      code: 'not_found',
      message: 'No route for GET /no/such/route.',
      requestId: REQUEST_ID,
    });
    expect(res.headers['x-request-id']).toBe(res.body.requestId);
  });

  it('answers 400 invalid_json for a malformed body', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/test-probe/validate')
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'invalid_json',
      message: 'The request body is not valid JSON.',
      requestId: REQUEST_ID,
    });
  });

  it('answers 400 validation_failed with per-field details, nested fields and unknown fields', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/test-probe/validate')
      .send({ name: 'far too long', email: 'nope', inner: { count: 0 }, extra: true })
      .expect(400);
    expect(res.body).toEqual({
      statusCode: 400,
      code: 'validation_failed',
      message: 'Validation failed.',
      requestId: REQUEST_ID,
      details: {
        fields: {
          name: ['name must be shorter than or equal to 5 characters'],
          email: ['email must be an email'],
          'inner.count': ['count must not be less than 1'],
          extra: ['property extra should not exist'],
        },
      },
    });
  });

  it('accepts a valid body (the probe itself works)', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/test-probe/validate')
      .send({ name: 'ok', email: 'a@example.com', inner: { count: 2 } })
      .expect(201);
    expect(res.body).toEqual({ ok: true, name: 'ok' });
  });

  it('takes JSON bodies only: a form-encoded body is not read (validation_failed), the same fields as JSON are', async () => {
    const server = t.app.getHttpServer();
    const form = await request(server).post('/test-probe/name').type('form').send('name=ok').expect(400);
    expect(form.body).toMatchObject({ code: 'validation_failed', details: { fields: { name: ['name must be a string'] } } });
    const json = await request(server).post('/test-probe/name').send({ name: 'ok' }).expect(201);
    expect(json.body).toEqual({ name: 'ok' });
  });

  it('answers 413 payload_too_large over the body limit', async () => {
    const res = await request(t.app.getHttpServer())
      .post('/test-probe/validate')
      .send({ name: 'x'.repeat(4096) })
      .expect(413);
    expect(res.body).toEqual({
      statusCode: 413,
      code: 'payload_too_large',
      message: 'The request body is too large.',
      requestId: REQUEST_ID,
    });
  });

  it('answers 500 internal_error without internals', async () => {
    const res = await request(t.app.getHttpServer()).get('/test-probe/boom').expect(500);
    expect(res.body).toEqual({
      statusCode: 500,
      code: 'internal_error',
      message: 'An unexpected error occurred.',
      requestId: REQUEST_ID,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/secret|srv|stack/);
  });

  it('renders domain errors with their code and details', async () => {
    const res = await request(t.app.getHttpServer()).get('/test-probe/domain').expect(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'not_found', message: 'No such thing.', requestId: REQUEST_ID, details: { id: 'x' } });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const ok = await request(t.app.getHttpServer()).get('/nope').set('X-Request-Id', 'trace-abc.123').expect(404);
    expect(ok.headers['x-request-id']).toBe('trace-abc.123');
    expect(ok.body.requestId).toBe('trace-abc.123');
    const bad = await request(t.app.getHttpServer()).get('/nope').set('X-Request-Id', 'bad id with spaces<script>').expect(404);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
