import { PassThrough } from 'node:stream';
import { ExitCode } from './errors';
import type { Io } from './output';
import { askHidden, confirm } from './prompt';

/** A terminal double: stdin accepts raw-mode switches and records them; stderr collects what was shown. */
function terminal(isTTY = true) {
  const stdin = Object.assign(new PassThrough(), { isTTY, rawModes: [] as boolean[] });
  (stdin as unknown as { setRawMode(on: boolean): void }).setRawMode = (on: boolean) => void stdin.rawModes.push(on);
  const stderr = Object.assign(new PassThrough(), { isTTY });
  let shown = '';
  stderr.on('data', (d: Buffer) => (shown += d.toString()));
  const io = { stdin, stdout: new PassThrough(), stderr, env: {} } as unknown as Io;
  return { io, stdin, shown: () => shown };
}

describe('askHidden', () => {
  it('reads a secret in raw mode without echoing it; backspace and Ctrl-U edit', async () => {
    const term = terminal();
    const answer = askHidden(term.io, 'Password: ');
    term.stdin.write('wrong');
    term.stdin.write('\u0015'); // Ctrl-U: start over
    term.stdin.write('s3cret!x\u007f'); // backspace drops the x
    term.stdin.write('\r');
    await expect(answer).resolves.toBe('s3cret!');
    expect(term.stdin.rawModes).toEqual([true, false]);
    expect(term.shown()).toBe('Password: \n');
  });

  it('Ctrl-C aborts with exit code 130 and restores the terminal', async () => {
    const term = terminal();
    const answer = askHidden(term.io, 'Password: ');
    term.stdin.write('abc\u0003');
    await expect(answer).rejects.toMatchObject({ exitCode: ExitCode.interrupted });
    expect(term.stdin.rawModes).toEqual([true, false]);
  });
});

describe('confirm', () => {
  it('passes with --yes and refuses without a terminal (exit 2) without asking', async () => {
    const question = jest.fn(async () => 'Sure?');
    await expect(confirm(terminal(false).io, true, question)).resolves.toBeUndefined();
    await expect(confirm(terminal(false).io, false, question)).rejects.toMatchObject({ exitCode: ExitCode.usage, info: { code: 'usage', hint: 'pass --yes to confirm in scripts' } });
    expect(question).not.toHaveBeenCalled();
  });
});
