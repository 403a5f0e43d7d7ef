import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigType } from '@nestjs/config';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { appConfig, applyHeapGrowth } from './config/app.config';
import { ResolvedDatabase } from './database/resolved-database';

async function bootstrap(): Promise<void> {
  // Before the app allocates its heap: V8's old-generation growth (HEAP_GROWING_PERCENT, docs/performance.md).
  applyHeapGrowth();
  const app = await NestFactory.create(AppModule, { bufferLogs: true, abortOnError: false });
  configureApp(app);
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  await app.listen(config.port, config.host);
  const db = app.get(ResolvedDatabase);
  const shownHost = config.host === '0.0.0.0' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  console.log(`Parley is listening on http://${shownHost}:${config.port} (public URL ${config.publicBaseUrl})`);
  console.log(
    db.embedded
      ? `Database: embedded PostgreSQL (PGlite), data in ${db.embedded.dataDir ?? 'memory (not kept)'}`
      : 'Database: PostgreSQL from DATABASE_URL',
  );
}

bootstrap().catch((err: unknown) => {
  console.error(`Parley cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
