/**
 * The widget's stylesheet, rendered as a `<style>` inside the widget (nothing is injected at import time). Every rule
 * is scoped under `.parley-widget`; colours are custom properties so hosts can theme them.
 */
export const WIDGET_CSS = `
.parley-widget{--pw-bg:#fff;--pw-fg:#1b1b1f;--pw-muted:#5d5d66;--pw-line:#d9d9de;--pw-soft:#f3f3f6;--pw-accent:#2350d8;--pw-accent-fg:#fff;--pw-warn:#fff4d6;--pw-danger:#fde8e8;
display:flex;flex-direction:column;gap:8px;height:100%;min-height:320px;box-sizing:border-box;padding:12px;background:var(--pw-bg);color:var(--pw-fg);font:14px/1.45 system-ui,sans-serif}
.parley-widget[data-theme=dark]{--pw-bg:#17171b;--pw-fg:#ececf1;--pw-muted:#a4a4ad;--pw-line:#3a3a42;--pw-soft:#24242a;--pw-accent:#7c9cff;--pw-accent-fg:#0b0b0f;--pw-warn:#3d3310;--pw-danger:#45191c}
@media (prefers-color-scheme:dark){.parley-widget[data-theme=system]{--pw-bg:#17171b;--pw-fg:#ececf1;--pw-muted:#a4a4ad;--pw-line:#3a3a42;--pw-soft:#24242a;--pw-accent:#7c9cff;--pw-accent-fg:#0b0b0f;--pw-warn:#3d3310;--pw-danger:#45191c}}
.parley-widget *{box-sizing:border-box}
.parley-widget h2{margin:0;font-size:16px}
.parley-widget button{font:inherit;color:inherit;background:var(--pw-soft);border:1px solid var(--pw-line);border-radius:8px;padding:4px 10px;cursor:pointer}
.parley-widget button:disabled{opacity:.5;cursor:default}
.parley-widget :focus-visible{outline:2px solid var(--pw-accent);outline-offset:2px}
.parley-widget .pw-primary{background:var(--pw-accent);color:var(--pw-accent-fg);border-color:var(--pw-accent)}
.parley-widget .pw-icon{border:0;background:none;padding:2px 6px}
.parley-widget .pw-muted{color:var(--pw-muted)}
.parley-widget .pw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.parley-widget .pw-lite{display:flex;flex-direction:column;gap:8px;flex:1;min-height:0}
.parley-widget .pw-toolbar{display:flex;gap:8px;align-items:center}
.parley-widget .pw-thread-title{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:var(--pw-muted)}
.parley-widget .pw-history{flex:none;max-height:12em;overflow:auto;border-bottom:1px solid var(--pw-line)}
.parley-widget .pw-history ul{list-style:none;margin:0;padding:0}
.parley-widget .pw-history li{display:flex}
.parley-widget .pw-thread{flex:1;text-align:left;border:0;background:none}
.parley-widget .pw-thread[aria-current=true]{background:var(--pw-soft);font-weight:600}
.parley-widget .pw-log{flex:1;min-height:0;overflow:auto;display:flex;flex-direction:column;gap:8px;padding:4px}
.parley-widget .pw-msg{max-width:85%;padding:8px 12px;border-radius:12px;margin:0}
.parley-widget .pw-user{align-self:flex-end;background:var(--pw-accent);color:var(--pw-accent-fg)}
.parley-widget .pw-assistant{align-self:flex-start;background:var(--pw-soft)}
.parley-widget .pw-text{white-space:pre-wrap;overflow-wrap:anywhere}
.parley-widget .pw-actions{display:flex;gap:4px;margin-top:4px}
.parley-widget .pw-progress{color:var(--pw-muted);font-style:italic;margin:0}
.parley-widget .pw-start{margin:auto;text-align:center;display:flex;flex-direction:column;gap:8px}
.parley-widget .pw-greeting{font-size:18px;margin:0}
.parley-widget .pw-banner{display:flex;gap:8px;align-items:center;justify-content:space-between;padding:8px 12px;border-radius:8px;background:var(--pw-soft)}
.parley-widget .pw-banner p{margin:0}
.parley-widget .pw-warning{background:var(--pw-warn)}
.parley-widget .pw-danger{background:var(--pw-danger)}
.parley-widget .pw-composer{display:flex;gap:8px;align-items:flex-end}
.parley-widget .pw-composer textarea{flex:1;resize:none;font:inherit;color:inherit;background:var(--pw-bg);border:1px solid var(--pw-line);border-radius:8px;padding:8px}
.parley-widget .pw-screen{margin:auto;text-align:center;max-width:26em}
.parley-widget .pw-screen h3{font-size:18px}
.parley-widget .pw-skeleton{display:flex;flex-direction:column;gap:8px;padding:8px}
.parley-widget .pw-skeleton span{display:block;height:14px;border-radius:7px;background:var(--pw-soft);animation:pw-pulse 1.2s ease-in-out infinite}
.parley-widget .pw-skeleton span:nth-child(2){width:70%}.parley-widget .pw-skeleton span:nth-child(3){width:45%}
@keyframes pw-pulse{50%{opacity:.4}}
@media (prefers-reduced-motion:reduce){.parley-widget .pw-skeleton span{animation:none}}
.parley-widget .pw-w{display:flex;flex-direction:column;gap:6px}
.parley-widget .pw-w-row{flex-direction:row;flex-wrap:wrap}
.parley-widget .pw-w-title{font-weight:600;margin:0}.parley-widget .pw-w-text{margin:0;white-space:pre-wrap}.parley-widget .pw-w-code{margin:4px 0;padding:6px 8px;overflow:auto;max-height:240px;border-radius:6px;background:rgba(127,127,127,.12);font:12px/1.4 ui-monospace,monospace}
.parley-widget .pw-w-badge{border:1px solid var(--pw-line);border-radius:999px;padding:0 8px;align-self:flex-start}
.parley-widget .pw-w-image{max-width:100%;border-radius:8px}
.parley-widget .pw-chatkit{display:block;flex:1;min-height:0;width:100%}
@media (pointer:coarse){.parley-widget button{min-height:44px;min-width:44px}.parley-widget .pw-composer textarea{min-height:44px}}
`;
