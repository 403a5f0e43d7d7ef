import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The backend package's version; `../../package.json` from both `src/cli` and `dist/cli`. */
export function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
