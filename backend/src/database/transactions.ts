import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

const MANAGER = Symbol('parley.tx.manager');

/**
 * An open database transaction as a service sees it (docs/architecture.md, The database): an opaque handle that a
 * service passes on to repository methods, of its own module or, through their services, of other modules. Only
 * repositories look inside it (`managerOf`), so no TypeORM object crosses a module boundary.
 */
export interface Tx {
  readonly [MANAGER]: EntityManager;
}

/** The unit of work: one transaction around several repository calls, possibly of several modules. */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction: it commits when `work` resolves and rolls back when it throws. */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work({ [MANAGER]: manager }));
  }
}

/**
 * For repositories (and `database/`-level infrastructure) only: the `EntityManager` that runs a statement in `tx`, or
 * `fallback` (the repository's `DataSource` manager) when there is no transaction.
 */
export function managerOf(tx: Tx): EntityManager;
export function managerOf(tx: Tx | undefined, fallback: EntityManager): EntityManager;
export function managerOf(tx: Tx | undefined, fallback?: EntityManager): EntityManager {
  return tx === undefined ? fallback! : tx[MANAGER];
}

/** `pg_notify(channel, payload)` inside `tx`: listeners get it when (and only if) the transaction commits. */
export async function notifyOnCommit(tx: Tx, channel: string, payload: string): Promise<void> {
  await managerOf(tx).query('SELECT pg_notify($1, $2)', [channel, payload]);
}
