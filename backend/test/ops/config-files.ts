/**
 * Small readers for the deployment files checked by deployment.int-spec.ts: nginx configuration, docker compose
 * interpolation, port mappings and durations. Just enough of each format for the files in this repository; anything
 * they do not understand is an error, so a construct they cannot judge fails the test instead of passing unseen.
 */

/** One nginx directive: `name args...;` or `name args... { children }`. */
export interface NginxDirective {
  name: string;
  args: string[];
  block?: NginxDirective[];
}

/** Parses nginx configuration text (comments, quoted strings, blocks). */
export function parseNginx(text: string): NginxDirective[] {
  const tokens: { value: string; quoted: boolean }[] = [];
  const re = /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    m = re.exec(text);
    if (!m) throw new Error(`nginx: cannot read the configuration at offset ${at}: ${text.slice(at, at + 40)}`);
    if (m[1] !== undefined || m[2] !== undefined) tokens.push({ value: (m[1] ?? m[2]).replace(/\\(["'\\])/g, '$1'), quoted: true });
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push({ value: m[3] ?? m[4], quoted: false });
  }
  let i = 0;
  const block = (nested: boolean): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (i < tokens.length) {
      const t = tokens[i++];
      if (!t.quoted && t.value === '}') {
        if (!nested) throw new Error('nginx: unexpected }');
        return out;
      }
      if (!t.quoted && (t.value === '{' || t.value === ';')) throw new Error(`nginx: unexpected ${t.value}`);
      const directive: NginxDirective = { name: t.value, args: [] };
      for (;;) {
        const next = tokens[i++];
        if (!next) throw new Error(`nginx: directive ${directive.name} is not terminated`);
        if (!next.quoted && next.value === ';') break;
        if (!next.quoted && next.value === '{') {
          directive.block = block(true);
          break;
        }
        if (!next.quoted && next.value === '}') throw new Error(`nginx: directive ${directive.name} is not terminated`);
        directive.args.push(next.value);
      }
      out.push(directive);
    }
    if (nested) throw new Error('nginx: missing }');
    return out;
  };
  return block(false);
}

/** Direct children named `name`. */
export const children = (block: NginxDirective[] | undefined, name: string): NginxDirective[] =>
  (block ?? []).filter((d) => d.name === name);

/** Every directive named `name` at any depth. */
export function deep(block: NginxDirective[] | undefined, name: string): NginxDirective[] {
  return (block ?? []).flatMap((d) => [...(d.name === name ? [d] : []), ...deep(d.block, name)]);
}

/** The value of `map $source $target { ... }` for one input, as nginx picks it (exact strings, then regexes in order). */
export function evaluateMap(map: NginxDirective, input: string): string {
  const entries = map.block ?? [];
  const exact = entries.find((e) => !e.name.startsWith('~') && e.name !== 'default' && e.name === input);
  if (exact) return exact.args[0];
  for (const e of entries) {
    if (!e.name.startsWith('~')) continue;
    const insensitive = e.name.startsWith('~*');
    if (new RegExp(e.name.slice(insensitive ? 2 : 1), insensitive ? 'i' : '').test(input)) return e.args[0];
  }
  return entries.find((e) => e.name === 'default')?.args[0] ?? '';
}

/** nginx time (`60`, `300s`, `5m`, `1h`) in seconds. */
export function nginxSeconds(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!m) throw new Error(`nginx: not a time: ${value}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * factor;
}

/** nginx or Parley size (`11m`, `10mb`, `512k`) in bytes. */
export function sizeBytes(value: string): number {
  const m = /^(\d+)\s*(k|kb|m|mb|g|gb)?$/i.exec(value);
  if (!m) throw new Error(`not a size: ${value}`);
  const unit = (m[2] ?? '').toLowerCase().replace('b', '');
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] ?? NaN);
}

/** Compose duration (`30s`, `1m30s`, `1h`) in seconds. */
export function composeSeconds(value: string): number {
  if (!/^(\d+(\.\d+)?(us|ms|s|m|h))+$/.test(value)) throw new Error(`compose: not a duration: ${value}`);
  const factor = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return [...value.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)].reduce((sum, [, n, u]) => sum + Number(n) * factor[u as keyof typeof factor], 0);
}

/** One `${...}` (or `$NAME`) reference in a compose value. */
export interface Interpolation {
  name: string;
  /** `:-`, `-`, `:?`, `?`, `:+`, `+`, or '' for a plain reference. */
  operator: string;
  argument: string;
}

const INTERPOLATION = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(.|$))/g;

/** Every variable reference in a compose string; throws on `$` forms compose would refuse. */
export function interpolations(value: string): Interpolation[] {
  const out: Interpolation[] = [];
  for (const m of value.matchAll(INTERPOLATION)) {
    if (m[1]) continue;
    if (m[6] !== undefined) throw new Error(`compose: invalid interpolation in ${JSON.stringify(value)}`);
    out.push({ name: m[2] ?? m[5], operator: m[3] ?? '', argument: m[4] ?? '' });
    if (m[4]) out.push(...interpolations(m[4]));
  }
  return out;
}

/** Resolves a compose string as `docker compose` would with the given variables (unset = absent). */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(INTERPOLATION, (whole, escaped, braced, operator, argument, bare) => {
    if (escaped) return '$';
    const name = braced ?? bare;
    if (!name) throw new Error(`compose: invalid interpolation in ${JSON.stringify(value)}`);
    const v = vars[name];
    const arg = () => interpolate(argument ?? '', vars);
    switch (operator ?? '') {
      case '':
        return v ?? '';
      case ':-':
        return v ? v : arg();
      case '-':
        return v !== undefined ? v : arg();
      case ':?':
        if (!v) throw new Error(`compose: ${name} is required: ${arg()}`);
        return v;
      case '?':
        if (v === undefined) throw new Error(`compose: ${name} is required: ${arg()}`);
        return v;
      case ':+':
        return v ? arg() : '';
      case '+':
        return v !== undefined ? arg() : '';
      default:
        throw new Error(`compose: unknown operator in ${whole}`);
    }
  });
}

/** A compose port mapping, short (`[ip:][host:]container[/proto]`) or long syntax. */
export interface PortMapping {
  hostIp: string | null;
  published: number | null;
  target: number;
  protocol: 'tcp' | 'udp';
}

const port = (s: string | number, what: string): number => {
  const n = Number(s);
  if (!/^\d+$/.test(String(s)) || n < 1 || n > 65535) throw new Error(`compose: ${what} ${JSON.stringify(s)} is not a port`);
  return n;
};

export function parsePortMapping(entry: unknown): PortMapping {
  if (typeof entry === 'object' && entry !== null) {
    const e = entry as { target?: number; published?: string | number; host_ip?: string; protocol?: string };
    if (e.target === undefined) throw new Error('compose: long port syntax needs `target`');
    const protocol = e.protocol ?? 'tcp';
    if (protocol !== 'tcp' && protocol !== 'udp') throw new Error(`compose: protocol ${protocol}`);
    return { hostIp: e.host_ip ?? null, published: e.published === undefined ? null : port(e.published, 'published'), target: port(e.target, 'target'), protocol };
  }
  if (typeof entry !== 'string') throw new Error(`compose: port mappings are quoted strings (YAML reads 3000:3000 as base 60), got ${JSON.stringify(entry)}`);
  const m = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(entry);
  if (!m) throw new Error(`compose: malformed port mapping ${JSON.stringify(entry)}`);
  if (m[1] && !m[1].startsWith('[') && m[1].split('.').some((o) => Number(o) > 255)) throw new Error(`compose: bad host IP in ${entry}`);
  return { hostIp: m[1] ?? null, published: m[2] ? port(m[2], 'published') : null, target: port(m[3], 'target'), protocol: (m[4] ?? 'tcp') as 'tcp' | 'udp' };
}
