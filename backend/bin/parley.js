#!/usr/bin/env node
// The `parley` command of the root package: runs the CLI compiled by `npm run build` into backend/dist/cli.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('parley: the CLI is not built yet; run `npm run build` in the repository first.\n');
  process.exit(1);
}
require(main);
