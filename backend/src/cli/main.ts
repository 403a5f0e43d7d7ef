#!/usr/bin/env node
import { run } from './program';

void run(process.argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code;
});
