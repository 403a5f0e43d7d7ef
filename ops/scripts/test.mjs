#!/usr/bin/env node
// `npm test`: type-check, lint, architecture check and every test tier of every workspace.
// Ends with one line `N passed, M failed` (static checks count as one test each).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'parley-test-'));
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const results = [];

function run(name, cmd, args, { cwd = root, report } = {}) {
  const started = Date.now();
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let passed = r.status === 0 ? 1 : 0;
  let failed = r.status === 0 ? 0 : 1;
  if (report) {
    if (existsSync(report)) {
      const json = JSON.parse(readFileSync(report, 'utf8'));
      passed = json.numPassedTests ?? 0;
      failed = (json.numFailedTests ?? 0) + (json.numRuntimeErrorTestSuites ?? 0);
      if (r.status !== 0 && failed === 0) failed = 1; // the runner failed without a failing test (e.g. setup error)
      if (json.numTotalTests === 0) failed += 1; // a tier that runs nothing is a failure, not a pass
    } else {
      passed = 0;
      failed = 1;
    }
  }
  results.push({ name, passed, failed, seconds });
}

const workspaces = ['backend', 'widget-remote', 'canvas-host', 'packages/chat-protocol'];
for (const ws of workspaces) run(`typecheck ${ws}`, process.execPath, [bin('typescript', 'bin/tsc'), '-p', join(ws, 'tsconfig.json'), '--noEmit']);
run('lint', process.execPath, [bin('eslint', 'bin/eslint.js'), '--max-warnings=0', '.']);
run('import cycles and module boundaries', process.execPath, [bin('dependency-cruiser', 'bin/dependency-cruise.mjs'), '--config', '.dependency-cruiser.cjs', 'backend/src']);

const jestReport = join(tmp, 'jest.json');
run('backend tests (unit, integration, e2e)', process.execPath, [bin('jest', 'bin/jest.js'), '--ci', '--json', `--outputFile=${jestReport}`], {
  cwd: join(root, 'backend'),
  report: jestReport,
});
for (const ws of ['widget-remote', 'canvas-host']) {
  const report = join(tmp, `${ws}.json`);
  run(`${ws} tests`, process.execPath, [bin('vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`], {
    cwd: join(root, ws),
    report,
  });
}
rmSync(tmp, { recursive: true, force: true });

console.log('\n=== summary ===');
for (const r of results) console.log(`${r.failed ? 'FAIL' : 'ok  '} ${r.name.padEnd(40)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed  ${r.seconds} s`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
