import { CliError } from './errors';

/** The streams and environment of one CLI run (the process's, or a test's). */
export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * Where output goes: results on stdout (one JSON document with `--json`, text otherwise),
 * everything meant for a person — notes, warnings, progress, errors — on stderr.
 */
export class Output {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** Prints the command's result: `doc` as JSON with `--json`, else the text `human()` returns. */
  result(doc: unknown, human: () => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(doc, null, 2)}\n` : ensureNewline(human()));
  }

  /** A line for the person at the terminal, in both modes. */
  note(message: string): void {
    this.io.stderr.write(ensureNewline(message));
  }

  warn(message: string): void {
    this.note(`Warning: ${message}`);
  }

  /** Reports a failure: the message and hint on stderr; with `--json`, also `{"error": …}` on stdout. */
  error(err: CliError): void {
    const { code, status, hint, requestId } = err.info;
    const tag = status ? `${code}, HTTP ${status}` : code;
    let text = `Error: ${err.message} (${tag})`;
    if (hint) text += `\nHint: ${hint}`;
    if (requestId && status && status >= 500) text += `\nRequest id: ${requestId}`;
    this.note(text);
    if (this.json) this.io.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
  }
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A plain-text table: a header row and left-aligned columns separated by two spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `Label:  value` lines with the values aligned. */
export function fields(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

/** `2025-01-31 14:05 UTC`, or `-` for null: short, unambiguous and the same on every machine. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function yesNo(value: boolean | null | undefined): string {
  return value ? 'yes' : 'no';
}

/** Human size: `812 B`, `14.2 kB`, `3.1 MB`. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** The "Examples:" section of a command's `--help`: pairs of what it does and the command line. */
export function examples(pairs: [string, string][]): string {
  return `\nExamples:\n${pairs.map(([what, line]) => `  # ${what}\n  $ ${line}`).join('\n\n')}\n`;
}
