import { AttachmentUrls } from '../../src/chatkit/attachments/attachment-urls';
import type { TestApp } from '../setup/test-app';
import { chatkit, chatter, createChatApp, input } from './helpers';

const error = (statusCode: number, code: string) => ({ statusCode, code, message: expect.any(String), requestId: expect.any(String) });

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

describe('two-phase attachments and previews', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createChatApp({ env: { CHATKIT_UPLOAD_LIMIT: '2kb', PUBLIC_BASE_URL: 'https://chat.example.test' } });
    ({ token } = await chatter(t));
  });
  afterAll(() => t.close());

  const create = (name: string, size: number, mime: string) => chatkit(t.baseUrl, token, { type: 'attachments.create', params: { name, size, mime_type: mime } });
  const put = (id: string, body: Buffer | string, headers: Record<string, string> = {}, auth: string | null = token) =>
    fetch(`${t.baseUrl}/api/chatkit/uploads/${id}`, { method: 'PUT', headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers }, body });
  /** The preview URL's path and query, served by this test app. */
  const local = (url: string) => `${t.baseUrl}${new URL(url).pathname}${new URL(url).search}`;

  it('creates an image attachment with an absolute upload URL and a signed preview URL, never a server path', async () => {
    const answer = await create('cat.png', PNG.length, 'image/png');
    expect(answer.status).toBe(200);
    const id = answer.body.id as string;
    expect(answer.body).toEqual({
      id,
      type: 'image',
      name: 'cat.png',
      mime_type: 'image/png',
      upload_descriptor: { url: `https://chat.example.test/api/chatkit/uploads/${id}`, method: 'PUT', headers: {} },
      preview_url: expect.stringMatching(new RegExp(`^https://chat\\.example\\.test/api/chatkit/attachments/${id}/preview\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`)),
    });
    expect(answer.text).not.toContain('metadata');
  });

  it('uploads the bytes, serves the preview without credentials, and embeds it in messages with a fresh URL', async () => {
    const { body } = await create('cat.png', PNG.length, 'image/png');
    const uploaded = await put(body.id, PNG, { 'content-type': 'image/png' });
    expect(uploaded.status).toBe(200);
    const attachment = (await uploaded.json()) as { preview_url: string };
    expect(attachment).toEqual({ id: body.id, type: 'image', name: 'cat.png', mime_type: 'image/png', preview_url: expect.any(String) });

    const preview = await fetch(local(attachment.preview_url));
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('image/png');
    expect(preview.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(preview.headers.get('x-content-type-options')).toBe('nosniff');
    expect(preview.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(Buffer.from(await preview.arrayBuffer())).toEqual(PNG);

    const sent = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input('look', [body.id]) } });
    const message = sent.events![1].item;
    expect(message.attachments).toEqual([
      { id: body.id, type: 'image', name: 'cat.png', mime_type: 'image/png', preview_url: expect.any(String), thread_id: sent.events![0].thread.id },
    ]);
    const reloaded = await chatkit(t.baseUrl, token, { type: 'threads.get_by_id', params: { thread_id: sent.events![0].thread.id } });
    const fresh = reloaded.body.items.data[0].attachments[0].preview_url as string;
    expect((await fetch(local(fresh))).status).toBe(200);
  });

  it('accepts a multipart upload with a `file` field', async () => {
    const { body } = await create('doc.pdf', PDF.length, 'application/pdf');
    const boundary = 'parleyboundary';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="doc.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
      PDF,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await put(body.id, multipart, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.status).toBe(200);
    const stored = (await t.dataSource.query(`SELECT bytes, content_type FROM chat_attachments WHERE id = $1`, [body.id])) as Array<{ bytes: Buffer; content_type: string }>;
    expect(stored[0]).toEqual({ bytes: PDF, content_type: 'application/pdf' });
  });

  it('is write-once: a second upload after a complete one answers 409 attachment_immutable and keeps the first bytes', async () => {
    const { body } = await create('first.png', PNG.length, 'image/png');
    expect((await put(body.id, PNG, { 'content-type': 'image/png' })).status).toBe(200);
    // Same size, same type, other pixels: exactly the replacement the transcript must not show.
    const other = Buffer.from(PNG);
    other[other.length - 20] ^= 0xff;
    const again = await put(body.id, other, { 'content-type': 'image/png' });
    expect([again.status, await again.json()]).toEqual([409, error(409, 'attachment_immutable')]);
    const stored = (await t.dataSource.query(`SELECT bytes FROM chat_attachments WHERE id = $1`, [body.id])) as Array<{ bytes: Buffer }>;
    expect(stored[0].bytes).toEqual(PNG);
  });

  it('refuses any upload once the attachment is part of a message (409), even if its bytes never came', async () => {
    const { body } = await create('later.txt', 5, 'text/plain');
    const sent = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input('see attached', [body.id]) } });
    expect(sent.status).toBe(200);
    const late = await put(body.id, 'hello', { 'content-type': 'text/plain' });
    expect([late.status, await late.json()]).toEqual([409, error(409, 'attachment_immutable')]);
    const rows = (await t.dataSource.query(`SELECT bytes FROM chat_attachments WHERE id = $1`, [body.id])) as Array<{ bytes: Buffer | null }>;
    expect(rows[0].bytes).toBeNull();
    // A failed upload does not count: the bytes may still come once, before sending.
    const retry = await create('retry.txt', 2, 'text/plain');
    expect((await put(retry.body.id, Buffer.from([0, 1]), { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await put(retry.body.id, 'ok', { 'content-type': 'text/plain' })).status).toBe(200);
  });

  it('checks the type against the bytes, not the name or the header (415)', async () => {
    const { body } = await create('cat.png', PDF.length, 'image/png');
    const res = await put(body.id, PDF, { 'content-type': 'image/png' });
    expect([res.status, await res.json()]).toEqual([415, error(415, 'unsupported_media_type')]);
    const text = await create('notes.txt', 4, 'text/plain');
    const binary = await put(text.body.id, Buffer.from([0, 1, 2, 3]), { 'content-type': 'text/plain' });
    expect(binary.status).toBe(415);
    const ok = await put(text.body.id, 'héy', { 'content-type': 'text/plain' });
    expect(ok.status).toBe(200);
  });

  it('requires the declared size (400) and the upload limit (413)', async () => {
    const { body } = await create('notes.txt', 5, 'text/plain');
    const short = await put(body.id, 'abc');
    expect([short.status, await short.json()]).toEqual([400, { ...error(400, 'validation_failed'), details: { fields: { body: [expect.stringContaining('size 5')] } } }]);
    const huge = await create('big.txt', 4096, 'text/plain');
    expect([huge.status, huge.body]).toEqual([413, { ...error(413, 'payload_too_large'), details: { limitBytes: 2048 } }]);
    const oversized = await put(body.id, 'x'.repeat(3000));
    expect([oversized.status, await oversized.json()]).toEqual([413, error(413, 'payload_too_large')]);
  });

  it('refuses types outside the allowlist at creation (415)', async () => {
    for (const mime of ['text/html', 'image/svg+xml', 'application/x-msdownload']) {
      const answer = await create('x', 10, mime);
      expect([answer.status, answer.body.code]).toEqual([415, 'unsupported_media_type']);
    }
  });

  it('needs the chat credential to upload (401) and answers 404 for unknown ids', async () => {
    const { body } = await create('a.txt', 2, 'text/plain');
    const anonymous = await put(body.id, 'hi', {}, null);
    expect([anonymous.status, await anonymous.json()]).toEqual([401, error(401, 'unauthenticated')]);
    const unknown = await put('atc_unknown', 'hi');
    expect([unknown.status, await unknown.json()]).toEqual([404, error(404, 'not_found')]);
  });

  it('refuses tampered and expired preview URLs with 403, and answers 404 for a valid URL of nothing', async () => {
    const { body } = await create('cat.png', PNG.length, 'image/png');
    await put(body.id, PNG);
    const urls = t.app.get(AttachmentUrls);
    const valid = new URL(urls.previewUrl(body.id));
    const exp = valid.searchParams.get('exp')!;
    const sig = valid.searchParams.get('sig')!;
    const tampered = [
      `${t.baseUrl}${valid.pathname}?exp=${Number(exp) + 60}&sig=${sig}`,
      `${t.baseUrl}${valid.pathname}?exp=${exp}&sig=${sig.slice(0, -2)}AA`,
      `${t.baseUrl}${valid.pathname}?exp=${exp}`,
      `${t.baseUrl}${valid.pathname.replace(body.id, 'atc_other')}?exp=${exp}&sig=${sig}`,
    ];
    for (const link of tampered) {
      const res = await fetch(link);
      expect({ link, status: res.status, body: await res.json() }).toEqual({ link, status: 403, body: error(403, 'forbidden') });
    }
    const expired = await fetch(local(urls.previewUrl(body.id, Date.now() - 2 * 3600_000)));
    expect([expired.status, ((await expired.json()) as { code: string }).code]).toEqual([403, 'forbidden']);
    const nothing = await fetch(local(urls.previewUrl('atc_never_existed')));
    expect([nothing.status, await nothing.json()]).toEqual([404, error(404, 'not_found')]);
    // Signed, uploaded, but not an image: no preview.
    const text = await create('t.txt', 2, 'text/plain');
    await put(text.body.id, 'hi');
    expect((await fetch(local(urls.previewUrl(text.body.id)))).status).toBe(404);
  });

  it('deletes an attachment with its bytes: {} then 404 everywhere', async () => {
    const { body } = await create('cat.png', PNG.length, 'image/png');
    await put(body.id, PNG);
    const preview = t.app.get(AttachmentUrls).previewUrl(body.id);
    expect((await fetch(local(preview))).status).toBe(200);
    const deleted = await chatkit(t.baseUrl, token, { type: 'attachments.delete', params: { attachment_id: body.id } });
    expect([deleted.status, deleted.body]).toEqual([200, {}]);
    expect((await fetch(local(preview))).status).toBe(404);
    expect((await put(body.id, PNG)).status).toBe(404);
    const sent = await chatkit(t.baseUrl, token, { type: 'threads.create', params: { input: input('x', [body.id]) } });
    expect([sent.status, sent.body.code]).toEqual([404, 'not_found']);
  });
});
