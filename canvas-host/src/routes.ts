/** The host's routes. A plain matcher until the owner app needs client-side navigation. */
export type Route = { name: 'home' } | { name: 'publicChat'; workflowId: string } | { name: 'notFound' };

export function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (path === '/') return { name: 'home' };

  const chat = /^\/chat\/([^/]+)$/.exec(path);
  if (chat?.[1]) {
    try {
      return { name: 'publicChat', workflowId: decodeURIComponent(chat[1]) };
    } catch {
      return { name: 'notFound' }; // malformed percent-encoding
    }
  }
  return { name: 'notFound' };
}
