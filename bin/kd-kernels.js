#!/usr/bin/env node
// Launcher of the kd-kernels CLI: runs the compiled dist/cli/main.js (`npm run build` writes dist/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`kd-kernels: ${entry} is missing: run 'npm run build' in ${root} first\n`);
  process.exit(1);
}
let main;
try {
  ({ main } = await import(pathToFileURL(entry).href));
} catch (e) {
  process.stderr.write(`kd-kernels: cannot load ${entry} (${e?.message ?? e}); rebuild with 'npm run build'\n`);
  if (process.env.KD_DEBUG === '1') process.stderr.write(`${e?.stack}\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
