// The baseline of bench:cold: the smallest NestJS 11 + Express app (one module, one controller,
// `GET /readyz` → 200) with the packages of the backend, started like Parley's main.js starts
// (NestFactory.create, listen on HOST:PORT). Plain CommonJS, decorators applied by hand.
const { createRequire } = require('node:module');
const { join } = require('node:path');

const backend = createRequire(join(__dirname, '../../../backend/package.json'));
backend('reflect-metadata');
const { NestFactory } = backend('@nestjs/core');
const { Controller, Get, Module } = backend('@nestjs/common');

class ReadyController {
  readyz() {
    return { status: 'ok' };
  }
}
Get('readyz')(ReadyController.prototype, 'readyz', Object.getOwnPropertyDescriptor(ReadyController.prototype, 'readyz'));
Controller()(ReadyController);

class AppModule {}
Module({ controllers: [ReadyController] })(AppModule);

NestFactory.create(AppModule, { logger: false })
  .then((app) => app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1'))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
