/*!
 * Parley embed.js — put a Parley chat bubble on any web page with one tag:
 *
 *   <script src="https://parley.example.com/widget/embed.js"
 *           data-workflow="<workflow id>" data-token="pub_…" async></script>
 *
 * It needs no bundler, no React and no Module Federation runtime on the page: on the first click it imports the
 * widget remote's `remoteEntry.js` (next to this script), initialises the container and calls its `./mount` export.
 * The remote then uses its own React. Served `no-cache` (see backend/src/web/static-assets.ts), so pages always run
 * the current version. Guide: docs/embedding.md ("embed.js").
 *
 * Optional attributes: data-renderer (auto | lite | chatkit, default auto), data-theme (light | dark | system),
 * data-title, data-greeting, data-api (API origin, default this script's origin), data-open ("true": open at load),
 * data-position (right | left), data-label (the bubble's accessible name, default "Chat"),
 * data-domain-key and data-chatkit-script (ChatKit renderer; see docs/embedding.md).
 * Events on window: `parley:embed` with detail {type: 'ready' | 'open' | 'close' | 'error' | <widget event>}.
 */
/* global window, document */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) {
    console.error('[parley] embed.js must be loaded with a <script src> tag (not as a module or inline).');
    return;
  }
  var d = script.dataset;
  var workflowId = d.workflow;
  var token = d.token;
  if (!workflowId || !token) {
    console.error('[parley] embed.js needs data-workflow and data-token attributes.');
    return;
  }
  var scriptUrl = new URL(script.src, document.baseURI);
  var entryUrl = new URL('remoteEntry.js', scriptUrl).href;
  var apiBaseUrl = (d.api || scriptUrl.origin).replace(/\/+$/, '');
  var side = d.position === 'left' ? 'left' : 'right';
  var label = d.label || d.title || 'Chat';

  function emit(detail) {
    try {
      window.dispatchEvent(new CustomEvent('parley:embed', { detail: detail }));
    } catch (e) {
      /* old browsers: no telemetry */
    }
  }

  var css =
    '.parley-embed-bubble{position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;width:56px;height:56px;' +
    'border-radius:50%;border:0;background:#2563eb;color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;' +
    'display:flex;align-items:center;justify-content:center;padding:0}' +
    '.parley-embed-bubble:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}' +
    '.parley-embed-panel{position:fixed;bottom:88px;' + side + ':20px;z-index:2147483000;width:min(400px,calc(100vw - 40px));' +
    'height:min(600px,calc(100vh - 120px));background:#fff;border-radius:12px;box-shadow:0 10px 40px rgba(0,0,0,.3);' +
    'display:flex;flex-direction:column;overflow:hidden}' +
    '.parley-embed-panel[hidden]{display:none}' +
    '.parley-embed-head{display:flex;justify-content:flex-end;padding:4px}' +
    '.parley-embed-close{border:0;background:transparent;font-size:20px;line-height:1;cursor:pointer;padding:4px 8px}' +
    '.parley-embed-body{flex:1;min-height:0;overflow:auto}' +
    '.parley-embed-status{padding:16px;font:14px/1.4 system-ui,sans-serif;color:#333}' +
    '.parley-embed-status button{margin-top:8px}' +
    '@media (pointer:coarse){.parley-embed-close,.parley-embed-status button{min-width:44px;min-height:44px}}';
  var style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);

  var bubble = document.createElement('button');
  bubble.type = 'button';
  bubble.className = 'parley-embed-bubble';
  bubble.setAttribute('data-testid', 'parley-embed-bubble');
  bubble.setAttribute('aria-label', label);
  bubble.setAttribute('aria-expanded', 'false');
  bubble.innerHTML =
    '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">' +
    '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

  var panel = document.createElement('div');
  panel.className = 'parley-embed-panel';
  panel.hidden = true;
  panel.id = 'parley-embed-panel-' + Math.random().toString(36).slice(2, 8);
  panel.setAttribute('data-testid', 'parley-embed-panel');
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', label);
  bubble.setAttribute('aria-controls', panel.id);
  var head = document.createElement('div');
  head.className = 'parley-embed-head';
  var close = document.createElement('button');
  close.type = 'button';
  close.className = 'parley-embed-close';
  close.setAttribute('data-testid', 'parley-embed-close');
  close.setAttribute('aria-label', 'Close chat');
  close.textContent = '\u00d7';
  head.appendChild(close);
  var body = document.createElement('div');
  body.className = 'parley-embed-body';
  panel.appendChild(head);
  panel.appendChild(body);

  var loading = null; // Promise of the mount function while/after loading
  var unmount = null;

  function loadMount() {
    if (!loading) {
      loading = import(/* @vite-ignore */ entryUrl)
        .then(function (container) {
          return Promise.resolve(container.init({})).then(function () {
            return container.get('./mount');
          });
        })
        .then(function (factory) {
          var mod = factory();
          var fn = mod && (mod.mount || mod.default);
          if (typeof fn !== 'function') throw new Error('the remote has no ./mount export');
          return fn;
        });
      loading.catch(function () {
        loading = null; // let the next attempt retry
      });
    }
    return loading;
  }

  function showStatus(text, retry) {
    body.textContent = '';
    var box = document.createElement('div');
    box.className = 'parley-embed-status';
    box.setAttribute('role', 'status');
    box.setAttribute('data-testid', retry ? 'parley-embed-fallback' : 'parley-embed-loading');
    box.appendChild(document.createTextNode(text));
    if (retry) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Try again';
      b.onclick = start;
      box.appendChild(document.createElement('br'));
      box.appendChild(b);
    }
    body.appendChild(box);
  }

  function start() {
    if (unmount) return;
    showStatus('Loading the chat\u2026', false);
    loadMount().then(
      function (mount) {
        if (unmount || panel.hidden) return;
        body.textContent = '';
        var host = document.createElement('div');
        host.style.height = '100%';
        body.appendChild(host);
        unmount = mount(host, {
          apiBaseUrl: apiBaseUrl,
          workflowId: workflowId,
          auth: { kind: 'publishToken', token: token },
          renderer: d.renderer || 'auto',
          theme: d.theme || 'light',
          title: d.title || undefined,
          greeting: d.greeting || undefined,
          domainKey: d.domainKey || undefined,
          chatkitScriptUrl: d.chatkitScript || undefined,
          onEvent: function (ev) {
            // The panel's own open/close are reported by setOpen(): once per open, once per close.
            if (ev && (ev.type === 'open' || ev.type === 'close')) return;
            emit(ev);
          },
        });
        emit({ type: 'ready' });
      },
      function (err) {
        console.error('[parley] could not load the chat widget from ' + entryUrl, err);
        emit({ type: 'error', code: 'remote_unavailable' });
        showStatus('The chat could not be loaded.', true);
      },
    );
  }

  function setOpen(open) {
    panel.hidden = !open;
    bubble.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) {
      start();
      emit({ type: 'open' });
    } else {
      // Tear the widget down on close, like the canvas bubble: the next open starts fresh (history reloads).
      if (unmount) {
        unmount();
        unmount = null;
      }
      emit({ type: 'close' });
      bubble.focus();
    }
  }

  bubble.addEventListener('click', function () {
    setOpen(panel.hidden);
  });
  close.addEventListener('click', function () {
    setOpen(false);
  });

  function attach() {
    document.body.appendChild(panel);
    document.body.appendChild(bubble);
    if (d.open === 'true') setOpen(true);
  }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
