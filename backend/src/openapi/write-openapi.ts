import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';

/** `npm run openapi`: writes docs/openapi.json from the app's decorators (no database needed). */
async function main(): Promise<void> {
  process.env.DATABASE_URL = '';
  process.env.PARLEY_DATA_DIR = ':memory:';
  process.env.DATABASE_MIGRATIONS_RUN = 'false';
  process.env.LOG_LEVEL = 'silent';
  const { AppModule } = await import('../app.module');
  const { buildOpenApiDocument } = await import('./openapi');
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  try {
    const document = buildOpenApiDocument(app);
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
    console.log(`Wrote ${path.relative(process.cwd(), file)} (${Object.keys(document.paths).length} paths)`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
