/**
 * The one multipart/form-data part an upload needs (`file`). The ChatKit client uploads
 * two-phase attachments with the descriptor's method; the reference samples accept the raw body
 * or a multipart `file` field, so the upload route does too.
 */

/** The boundary of a `multipart/form-data` content type, or null for any other type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : null;
}

/** The body of the part named `field`, or null when the body holds no such part. */
export function multipartField(body: Buffer, boundary: string, field = 'file'): Buffer | null {
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const headersStart = start + delimiter.length;
    // `--boundary--` closes the body.
    if (body.subarray(headersStart, headersStart + 2).toString('latin1') === '--') return null;
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd === -1) return null;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next === -1) return null;
    const headers = body.subarray(headersStart, headersEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers);
    if (disposition?.[1] === field) return body.subarray(headersEnd + 4, next);
    start = next + 2;
  }
  return null;
}
