import { randomFillSync } from 'node:crypto';

/** What an id is for; decides its prefix. */
export type IdKind = 'thread' | 'message' | 'tool_call' | 'task' | 'workflow' | 'attachment' | 'sdk_hidden_context';

/** Produces a new unique, URL-safe id for the given kind. Injectable for deterministic tests. */
export type IdGenerator = (kind: IdKind) => string;

/** The reference prefixes (chatkit-python `store.py`); the client does not parse them. */
export const ID_PREFIXES: Readonly<Record<IdKind, string>> = {
  thread: 'thr',
  message: 'msg',
  tool_call: 'tc',
  task: 'tsk',
  workflow: 'wf',
  attachment: 'atc',
  sdk_hidden_context: 'shcx',
};

/**
 * `<prefix>_<16 hex chars>` from the CSPRNG. The reference uses 8 hex chars of a uuid4; we use
 * 64 bits because ids are global primary keys and double as paging cursors, and 32 bits
 * collide after about 65k ids.
 */
export const randomIdGenerator: IdGenerator = (kind) => `${ID_PREFIXES[kind]}_${randomHex8()}`;

/**
 * CSPRNG bytes are drawn 4 KiB at a time and handed out 8 at a time: one `randomFillSync` (and no
 * Buffer) per 512 ids instead of one of each per id. Every byte is used once.
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function randomHex8(): string {
  if (poolOffset + 8 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString('hex', poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/** Current time; injectable so tests can pin `created_at`. */
export type Clock = () => Date;

/** The system clock. */
export const systemClock: Clock = () => new Date();
