/**
 * The Content-Security-Policy directives of every page Parley serves (helmet's defaults plus these). Strict by
 * default (`'self'`), with exactly one exception: the origin of `CHATKIT_SCRIPT_URL`, so OpenAI's ChatKit web
 * component can load and run on the canvas and the public page (docs/security.md, "Content-Security-Policy"):
 *
 * - `script-src`: the ChatKit script itself;
 * - `frame-src`: ChatKit renders its UI in an iframe served from the same CDN;
 * - `connect-src`: the script fetches its own assets from there (our API stays `'self'`);
 * - `style-src` / `font-src`: already allowed by helmet's defaults (`https:`), so nothing is added.
 */
export function contentSecurityDirectives(chatkitScriptUrl: string): Record<string, string[]> {
  const chatkit = originOf(chatkitScriptUrl);
  const withChatKit = (base: string[]) => (chatkit ? [...base, chatkit] : base);
  return {
    'script-src': withChatKit(["'self'"]),
    'frame-src': withChatKit(["'self'"]),
    'connect-src': withChatKit(["'self'"]),
    'img-src': ["'self'", 'data:', 'blob:'],
    'frame-ancestors': ["'self'"],
  };
}

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}
