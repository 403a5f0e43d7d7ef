// V8's heap settings before anything else is loaded (HEAP_GROWING_PERCENT, HEAP_SEMI_SPACE_MB; docs/performance.md,
// "ChatKit gateway"): the young generation's cap must hold while the app's modules load. Node built-ins only.
import { applyHeapGrowth, applyYoungGenerationCap } from './config/v8-heap';
const heapSettingsError = ((): unknown => {
  try {
    applyHeapGrowth();
    applyYoungGenerationCap();
    return undefined;
  } catch (err) {
    return err;
  }
})();
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigType } from '@nestjs/config';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { appConfig } from './config/app.config';
import { ResolvedDatabase } from './database/resolved-database';

async function bootstrap(): Promise<void> {
  if (heapSettingsError) throw heapSettingsError;
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
