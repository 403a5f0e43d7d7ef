import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PROBE = path.resolve(__dirname, '../fixtures/embedded-probe.ts');
const run = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['-r', '@swc-node/register', PROBE, dir, ...args], { encoding: 'utf8', timeout: 60000 });

/** The embedded PGlite keeps data across restarts and refuses a second process on the same directory. */
describe('embedded database', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-embedded-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps data across restarts', () => {
    expect(run(dir, 'write', 'first').stdout).toContain('WROTE');
    expect(run(dir, 'write', 'second').stdout).toContain('WROTE');
    const read = run(dir, 'read');
    expect(read.status).toBe(0);
    expect(JSON.parse(read.stdout.trim())).toEqual(['first', 'second']);
  });

  it('gives a second process a clear error naming the directory', async () => {
    const holder = spawn(process.execPath, ['-r', '@swc-node/register', PROBE, dir, 'hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      const second = run(dir, 'read');
      expect(second.status).toBe(3);
      expect(second.stderr).toContain(`DataDirInUseError: The data directory ${dir} is in use by another Parley process (pid ${holder.pid})`);
    } finally {
      holder.stdin.end();
      await new Promise((r) => holder.on('exit', r));
    }
    // The lock is released on a clean stop: the next process opens the directory again.
    expect(run(dir, 'read').status).toBe(0);
  });

  it('takes over a lock left by a dead process', () => {
    fs.writeFileSync(path.join(dir, 'parley.lock'), '999999');
    expect(run(dir, 'read').status).toBe(0);
  });
});
