import { Client } from 'pg';

/** The SQL text of every statement sent to PostgreSQL while `work` runs (a pass-through wrapper of pg's `Client#query`). */
export async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = Client.prototype.query;
  (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    seen.push((typeof q === 'string' ? q : String(q?.text)).replace(/\s+/g, ' ').trim());
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  try {
    await work();
  } finally {
    Client.prototype.query = original;
  }
  return seen;
}
