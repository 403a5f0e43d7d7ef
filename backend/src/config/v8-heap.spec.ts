import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { applyHeapGrowth, applyYoungGenerationCap, DEFAULT_HEAP_SEMI_SPACE_MB } from './v8-heap';

/**
 * Runs `script` in a fresh Node process with this module (transpiled) as `heap`: V8 sizes the young generation per
 * isolate, so the governor is observed in a process whose young generation has not grown yet.
 */
function inFreshNode(script: string, env: NodeJS.ProcessEnv = {}): string {
  const source = readFileSync(join(__dirname, 'v8-heap.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const program = `const heap = {}; new Function('exports', 'require', ${JSON.stringify(js)})(heap, require);\n${script}`;
  return execFileSync(process.execPath, ['-e', program], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' }).trim();
}

// Allocates ~300 MB in small steps with event-loop turns between them (as a server does: a request's work per turn is
// far below a young generation), keeping a sliding window of 50,000 objects alive so that objects survive scavenges and
// V8 wants to grow the young generation; prints the young generation's size in MiB. (The governor acts after each GC, so
// a single turn allocating several young generations' worth may still grow it past the cap: docs/performance.md.)
const ALLOCATE_THEN_PRINT_YOUNG_GENERATION = `
  heap.applyYoungGenerationCap();
  let keep = [];
  let n = 0;
  (function step() {
    for (let i = 0; i < 5000; i++, n++) {
      keep.push({ n, s: 'x' + n });
      if (keep.length > 50000) keep = [];
    }
    if (n < 3000000) return setImmediate(step);
    const young = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(young.space_size / 1048576);
  })();
`;

describe('V8 heap settings', () => {
  it('parse their variables: defaults, 0 for V8 own, integers only', () => {
    expect(applyYoungGenerationCap({ HEAP_SEMI_SPACE_MB: '0' }).capMiB).toBe(0);
    expect(() => applyYoungGenerationCap({ HEAP_SEMI_SPACE_MB: 'big' })).toThrow(/HEAP_SEMI_SPACE_MB must be an integer/);
    expect(() => applyHeapGrowth({ HEAP_GROWING_PERCENT: '1.5' })).toThrow(/HEAP_GROWING_PERCENT must be an integer/);
    const governor = applyYoungGenerationCap({});
    expect(governor.capMiB).toBe(DEFAULT_HEAP_SEMI_SPACE_MB);
    governor.stop();
  });

  it('keep the young generation at the cap under an allocation-heavy load (both semi-spaces)', () => {
    expect(Number(inFreshNode(ALLOCATE_THEN_PRINT_YOUNG_GENERATION, { HEAP_SEMI_SPACE_MB: '4' }))).toBeLessThanOrEqual(8);
  });

  it('grow the young generation to the cap before the app loads (so loading runs with it), not past it', () => {
    const young = `heap.applyYoungGenerationCap(); console.log(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);`;
    expect(Number(inFreshNode(young, { HEAP_SEMI_SPACE_MB: '4' }))).toBe(8);
    expect(Number(inFreshNode(young, { HEAP_SEMI_SPACE_MB: '2' }))).toBe(4);
  });

  it('are applied by main.ts before anything else is imported (the cap must hold while the app loads)', () => {
    const main = readFileSync(join(__dirname, '..', 'main.ts'), 'utf8');
    const imports = main.split('\n').filter((line) => line.startsWith('import '));
    expect(imports[0]).toMatch(/from '\.\/config\/v8-heap';$/);
    expect(main.indexOf('applyYoungGenerationCap();')).toBeLessThan(main.indexOf("import 'reflect-metadata'"));
  });

  it('let V8 size it itself with 0 (the same load grows it past the cap above)', () => {
    expect(Number(inFreshNode(ALLOCATE_THEN_PRINT_YOUNG_GENERATION, { HEAP_SEMI_SPACE_MB: '0' }))).toBeGreaterThan(8);
  });
});
