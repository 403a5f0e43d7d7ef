import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `The data directory ${dataDir} is in use by another Parley process (pid ${pid}). ` +
        'Stop that process, or set PARLEY_DATA_DIR to another directory.',
    );
    this.name = 'DataDirInUseError';
  }
}

const LOCK_FILE = 'parley.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory's lock file (exclusive create). A lock left by a dead process
 * is taken over; a live owner is reported by name instead of letting PGlite corrupt the files.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new DataDirInUseError(dataDir, owner);
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}.`);
}

export interface EmbeddedPostgres {
  /** `postgres://` URL reaching the embedded server over loopback. */
  url: string;
  dataDir: string | null;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WASM) in this process and serves it on a loopback
 * port through pglite-socket, so the app reaches it with the ordinary `pg` driver.
 * `dataDir: null` keeps everything in memory (tests).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string | null;
  maxConnections?: number;
  databaseName?: string;
}): Promise<EmbeddedPostgres> {
  const { PGlite: PGliteCtor } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const { PGLiteSocketServer: ServerCtor } =
    require('@electric-sql/pglite-socket') as typeof import('@electric-sql/pglite-socket');
  const release = options.dataDir ? acquireDataDirLock(options.dataDir) : () => undefined;
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGliteCtor.create(options.dataDir ? path.join(options.dataDir, 'pgdata') : 'memory://');
    server = new ServerCtor({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 10 });
    await server.start();
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    release();
    throw err;
  }
  const url = `postgres://postgres:postgres@${server.getServerConn()}/${options.databaseName ?? 'parley'}`;
  let stopped = false;
  return {
    url,
    dataDir: options.dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await server!.stop();
        await db!.close();
      } finally {
        release();
      }
    },
  };
}
