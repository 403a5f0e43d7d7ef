/**
 * Attachment types Parley accepts, checked against the bytes (magic numbers), never the name.
 * Text types have no signature: they must be valid UTF-8 without NUL or other binary control bytes.
 */

/** Declared MIME types a client may create attachments with. */
export const ALLOWED_ATTACHMENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'text/markdown',
  'text/csv',
  'application/json',
] as const;

export type AllowedAttachmentType = (typeof ALLOWED_ATTACHMENT_TYPES)[number];

/** What the bytes are: a concrete binary type, UTF-8 text, or unknown. */
export type SniffedType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'application/pdf' | 'text' | null;

const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/markdown', 'text/csv', 'application/json']);

/** `Image/PNG; charset=x` → `image/png`; aliases folded (`image/jpg`). */
export function normaliseMimeType(mime: string): string {
  const base = mime.split(';')[0].trim().toLowerCase();
  return base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
}

/** The allowed type `mime` names, or null. */
export function allowedType(mime: string): AllowedAttachmentType | null {
  const base = normaliseMimeType(mime);
  return (ALLOWED_ATTACHMENT_TYPES as readonly string[]).includes(base) ? (base as AllowedAttachmentType) : null;
}

function startsWith(bytes: Buffer, signature: number[] | string, offset = 0): boolean {
  const sig = typeof signature === 'string' ? Buffer.from(signature, 'latin1') : Buffer.from(signature);
  return bytes.length >= offset + sig.length && bytes.subarray(offset, offset + sig.length).equals(sig);
}

/** Identifies the bytes by their leading signature, or as UTF-8 text. */
export function sniff(bytes: Buffer): SniffedType {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'image/gif';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'image/webp';
  if (startsWith(bytes, '%PDF-')) return 'application/pdf';
  return isUtf8Text(bytes) ? 'text' : null;
}

function isUtf8Text(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  for (const byte of bytes) {
    // Tab, LF, FF, CR are text; every other C0 control (NUL above all) means binary.
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) return false;
  }
  return true;
}

/**
 * The content type to store and serve when `bytes` really are the `declared` type, or null when
 * they are not (or the type is not allowed).
 */
export function verifiedContentType(declared: string, bytes: Buffer): string | null {
  const type = allowedType(declared);
  if (!type) return null;
  const sniffed = sniff(bytes);
  if (TEXT_TYPES.has(type)) return sniffed === 'text' ? `${type}; charset=utf-8` : null;
  return sniffed === type ? type : null;
}
