/* global window */
// Parley: moves a share link's token (`/chat/<id>#token=pub_…`, or `?token=`) out of the address bar as soon as the
// page is parsed, and into memory for the app (src/public/shareToken.ts takes it from there). A classic script on
// purpose: the app's module entry waits for Module Federation to negotiate the shared React (~200 ms), and the
// token must not sit in the address bar that long (docs/adr/0005-share-token-per-tab.md).
(function () {
  var match = /^\/chat\/([^/]+)\/?$/.exec(window.location.pathname);
  if (!match) return;
  var url = new URL(window.location.href);
  var hash = new URLSearchParams(url.hash.replace(/^#/, ''));
  if (!hash.has('token') && !url.searchParams.has('token')) return;
  var token = hash.get('token') || url.searchParams.get('token');
  hash.delete('token');
  url.searchParams.delete('token');
  var rest = hash.toString();
  window.history.replaceState(window.history.state, '', url.pathname + url.search + (rest ? '#' + rest : ''));
  var workflowId;
  try {
    workflowId = decodeURIComponent(match[1]);
  } catch (error) {
    return;
  }
  if (token) {
    Object.defineProperty(window, '__parleyShareLink', {
      value: { workflowId: workflowId, token: token },
      configurable: true,
    });
  }
})();
