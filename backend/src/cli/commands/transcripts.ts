import { Command, Option } from 'commander';
import { createWriteStream, rmSync } from 'node:fs';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { parseId } from '../ids';
import { bytes, examples } from '../output';

const ID = '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a';

interface ExportOptions {
  format: 'jsonl' | 'csv';
  output?: string;
}

/** `parley transcripts export`. */
export function registerTranscriptCommands(program: Command, contextOf: (cmd: Command) => Context): void {
  const transcripts = program.command('transcripts').description("export a workflow's chat transcripts");
  transcripts
    .command('export')
    .description('stream every transcript of a workflow to a file or stdout (JSON Lines or CSV)')
    .argument('<id>', 'workflow id')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --output <file>', 'write to this file instead of stdout ("-" is stdout)')
    .addHelpText(
      'after',
      examples([
        ['a CSV file for a spreadsheet', `parley transcripts export ${ID} --format csv -o chats.csv`],
        ['filter JSON Lines on the fly', `parley transcripts export ${ID} --format jsonl | jq -c 'select(.role == "user")'`],
      ]),
    )
    .action((rawId: string, options: ExportOptions, cmd: Command) => exportTranscripts(contextOf(cmd), rawId, options));
}

async function exportTranscripts(ctx: Context, rawId: string, options: ExportOptions): Promise<void> {
  const { io, out } = ctx;
  const id = parseId(rawId, 'workflow', 'parley workflow list');
  const file = options.output === '-' ? undefined : options.output;
  if (out.json && !file) {
    throw usageError('--json needs -o <file>: without it the export itself is what goes to stdout.', `parley transcripts export ${id} -o transcripts.${options.format} --json`);
  }
  const api = ctx.authed();
  const body = await api.call(
    api.client.GET('/api/workflows/{id}/transcripts/export', { params: { path: { id }, query: { format: options.format } }, parseAs: 'stream' }),
  );
  if (!body) throw new CliError('The API answered without a body.', ExitCode.failure, { code: 'empty_response' });

  // The file is opened only once the API has accepted the request, so an error leaves no empty file behind.
  const sink: Writable = file ? createWriteStream(file) : (io.stdout as Writable);
  const progress = new Progress(io.stderr.isTTY ? io.stderr : undefined, file ?? 'stdout');
  try {
    // Chunks flow through as they arrive, with back-pressure: the export is never held in memory.
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), progress.counter(), sink, { end: Boolean(file) });
  } catch (err) {
    progress.clear();
    if (!file && (err as NodeJS.ErrnoException).code === 'EPIPE') return; // the reader (`| head`) has seen enough
    if (file) rmSync(file, { force: true });
    throw new CliError(`The export stopped after ${bytes(progress.total)}: ${(err as Error).message}`, ExitCode.failure, {
      code: 'export_interrupted',
      hint: file ? 'the partial file was removed; run the command again' : 'run the command again',
    });
  }
  progress.clear();
  const summary = { workflowId: id, format: options.format, file: file ?? null, bytes: progress.total };
  if (out.json) out.result(summary, () => '');
  else if (file) out.note(`Exported ${bytes(progress.total)} of ${options.format.toUpperCase()} transcripts to ${file}.`);
}

/** Counts bytes and, on a terminal only, keeps one progress line on stderr up to date. */
class Progress {
  total = 0;
  private shownAt = 0;
  private shown = false;

  constructor(
    private readonly tty: NodeJS.WritableStream | undefined,
    private readonly target: string,
  ) {}

  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.total += chunk.length;
        this.show();
        done(null, chunk);
      },
    });
  }

  private show(): void {
    const now = Date.now();
    if (!this.tty || now - this.shownAt < 100) return;
    this.shownAt = now;
    this.shown = true;
    this.tty.write(`\r\u001b[KExporting to ${this.target}… ${bytes(this.total)}`);
  }

  clear(): void {
    if (this.tty && this.shown) this.tty.write('\r\u001b[K');
    this.shown = false;
  }
}
