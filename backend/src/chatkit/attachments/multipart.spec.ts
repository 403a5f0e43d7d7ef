import { multipartBoundary, multipartField } from './multipart';

describe('multipart upload parsing', () => {
  const body = (boundary: string, parts: Array<{ name: string; content: Buffer | string; filename?: string }>) =>
    Buffer.concat([
      ...parts.flatMap((part) => [
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}\r\n\r\n`),
        Buffer.from(part.content),
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);

  it('reads the boundary of multipart/form-data only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('image/png')).toBeNull();
    expect(multipartBoundary(undefined)).toBeNull();
  });

  it('finds the file field among others, keeping binary bytes intact', () => {
    const binary = Buffer.from([0, 13, 10, 45, 45, 255]);
    const payload = body('xyz', [
      { name: 'purpose', content: 'chat' },
      { name: 'file', filename: 'a.bin', content: binary },
    ]);
    expect(multipartField(payload, 'xyz')).toEqual(binary);
  });

  it('answers null without a file field or for a truncated body', () => {
    expect(multipartField(body('xyz', [{ name: 'other', content: 'x' }]), 'xyz')).toBeNull();
    expect(multipartField(Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end'), 'xyz')).toBeNull();
  });
});
