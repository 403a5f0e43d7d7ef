import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { operationsConfig } from './operations.config';

/** Work that must wind down before the server closes (open chat streams). */
export interface Drainable {
  /** Finishes, or is made to finish, within about `graceMs` (plus a short wrap-up). */
  drain(graceMs: number): Promise<void>;
}

/** After the drain, how long in-flight short requests get before their connections are cut. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * SIGTERM handling (Nest calls this before it closes the HTTP server and, after that, the
 * database and Redis): stop accepting connections, report not-ready, let every `Drainable`
 * (open streams) finish within `SHUTDOWN_GRACE_SECONDS`, then wait briefly for in-flight requests
 * and close what is left. The database pool and Redis are closed afterwards by their own
 * `onApplicationShutdown` hooks, so nothing still running loses its connection under it.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly drainables = new Set<Drainable>();
  private drainingSince: number | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(operationsConfig.KEY) private readonly config: ConfigType<typeof operationsConfig>,
  ) {}

  register(drainable: Drainable): void {
    this.drainables.add(drainable);
  }

  /** True from the moment shutdown started: readiness answers 503 and new streams are refused. */
  get draining(): boolean {
    return this.drainingSince !== null;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    if (this.drainingSince !== null) return;
    this.drainingSince = Date.now();
    const server = this.httpServer();
    const closed = server ? closedPromise(server) : Promise.resolve();
    // Stop accepting; idle keep-alive connections are closed now, busy ones once their response ends.
    server?.close();
    server?.closeIdleConnections();
    this.logger.log(`${signal ?? 'Shutdown'} received: not accepting new connections; open streams get up to ${this.config.shutdownGraceMs / 1000} s.`);
    await Promise.all([...this.drainables].map((d) => d.drain(this.config.shutdownGraceMs)));
    if (server) {
      // Connections whose stream just ended are idle now; short requests still running get a moment.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const timedOut = await Promise.race([closed.then(() => false), delay(CLOSE_TIMEOUT_MS).then(() => true)]);
      clearInterval(sweep);
      if (timedOut) server.closeAllConnections();
    }
    this.logger.log(`Drained in ${Date.now() - this.drainingSince} ms; closing the database and Redis.`);
  }

  private httpServer(): Server | null {
    const adapter = this.adapterHost.httpAdapter as { getHttpServer?: () => unknown } | undefined;
    const server = adapter?.getHttpServer?.() as Server | undefined;
    return server && typeof server.close === 'function' && server.listening ? server : null;
  }
}

function closedPromise(server: Server): Promise<void> {
  return new Promise((resolve) => server.once('close', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
