import { createInterface } from 'node:readline';
import { CliError, ExitCode, usageError } from './errors';
import type { Io } from './output';

/** Prompts need a person: a terminal to read from and one to ask on (stderr, so stdout stays data). */
export function canPrompt(io: Io): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

function interrupted(): CliError {
  return new CliError('Interrupted.', ExitCode.interrupted, { code: 'interrupted' });
}

/** Asks for one line of visible input. */
export function askLine(io: Io, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    let answered = false;
    rl.on('SIGINT', () => {
      rl.close();
      io.stderr.write('\n');
      reject(interrupted());
    });
    rl.on('close', () => {
      if (!answered) reject(interrupted());
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer.trim());
    });
  });
}

/**
 * Asks for a secret without echoing it: the terminal goes to raw mode for the duration, so the
 * typed characters are never written anywhere. Backspace and Ctrl-U edit, Ctrl-C aborts.
 */
export function askHidden(io: Io, question: string): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (done: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      done();
    };
    const onData = (chunk: Buffer | string) => {
      const text = chunk.toString();
      // Escape sequences (arrow keys and the like) are not part of a password.
      if (text.startsWith('\u001b')) return;
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(interrupted()));
        if (ch === '\u0004' && value === '') return finish(() => reject(interrupted()));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    // Echo goes off before the question appears, so nothing typed after it can show.
    stdin.setRawMode(true);
    io.stderr.write(question);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * The confirmation gate of state-changing commands: `--yes` skips it; without a terminal it
 * refuses (exit 2) rather than guess; on a terminal anything but y/yes declines (exit 2).
 */
export async function confirm(io: Io, yes: boolean | undefined, question: () => Promise<string>): Promise<void> {
  if (yes) return;
  if (!canPrompt(io)) {
    throw usageError('Refusing to continue without confirmation: there is no terminal to ask on.', 'pass --yes to confirm in scripts');
  }
  const answer = await askLine(io, `${await question()} [y/N] `);
  if (!/^y(es)?$/i.test(answer)) throw new CliError('Cancelled; nothing was changed.', ExitCode.usage, { code: 'cancelled' });
}

/** Reads all of stdin (for `--password-stdin`), without the trailing newline. */
export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
