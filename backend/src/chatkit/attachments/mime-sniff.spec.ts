import { allowedType, sniff, verifiedContentType } from './mime-sniff';

const bytes = (...parts: Array<number[] | string>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('attachment type sniffing', () => {
  it.each([
    ['image/png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'rest')],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')],
    ['image/gif', bytes('GIF89a...')],
    ['image/webp', bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')],
    ['application/pdf', bytes('%PDF-1.7\n')],
    ['text', Buffer.from('plain text, ünïcödé\ttabs\r\nlines')],
  ])('recognises %s', (type, content) => {
    expect(sniff(content)).toBe(type);
  });

  it('calls binary what is neither a known signature nor UTF-8 text', () => {
    expect(sniff(Buffer.from([0x00, 0x61]))).toBeNull();
    expect(sniff(Buffer.from([0xc3, 0x28]))).toBeNull(); // invalid UTF-8
    expect(sniff(bytes('RIFF', [0, 0, 0, 0], 'WAVE'))).toBeNull();
  });

  it('accepts only allowlisted declared types, with parameters and aliases folded', () => {
    expect(allowedType('IMAGE/PNG; name=x')).toBe('image/png');
    expect(allowedType('image/jpg')).toBe('image/jpeg');
    expect(allowedType('text/html')).toBeNull();
    expect(allowedType('image/svg+xml')).toBeNull();
  });

  it('verifies the bytes against the declared type', () => {
    const png = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(verifiedContentType('image/png', png)).toBe('image/png');
    expect(verifiedContentType('image/jpeg', png)).toBeNull();
    expect(verifiedContentType('text/plain', png)).toBeNull();
    expect(verifiedContentType('text/csv', Buffer.from('a,b\n1,2\n'))).toBe('text/csv; charset=utf-8');
    expect(verifiedContentType('application/json', Buffer.from('{"a":1}'))).toBe('application/json; charset=utf-8');
    expect(verifiedContentType('application/pdf', Buffer.from('not a pdf'))).toBeNull();
    expect(verifiedContentType('text/html', Buffer.from('<b>hi</b>'))).toBeNull();
  });
});
