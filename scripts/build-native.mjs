#!/usr/bin/env node
/**
 * Build the native addon with cmake-js (build/Release/kd_kernels.node). Also `npx kd-kernels build-native`.
 *   node scripts/build-native.mjs               build, fail loudly
 *   node scripts/build-native.mjs --if-possible  (the repo's npm install) on failure print why and
 *                                                 exit 0: the package then runs on the cpu backend
 * cmake-js and node-addon-api are devDependencies: a consumer who builds from source installs them
 * next to kd-kernels (the message says how). They are found from the package folder upwards.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const soft = process.argv.includes('--if-possible');
const require = createRequire(join(root, 'package.json'));
const resolves = (id) => {
  try {
    return require.resolve(id);
  } catch {
    return null;
  }
};
const fail = (why) => {
  const msg = `kd-kernels: the native addon was not built (${why}). Install cmake and a C++17 compiler, then run \`npx kd-kernels build-native\`; until then the cpu backend is used.`;
  if (soft) {
    console.warn(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
};
// An installed package that carries a prebuilt addon for this platform needs no build.
if (soft && existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'kd_kernels.node'))) process.exit(0);
const cmakeJs = resolves('cmake-js/bin/cmake-js');
const missing = [cmakeJs ? null : 'cmake-js@^8', resolves('node-addon-api/package.json') ? null : 'node-addon-api@^8'].filter(Boolean);
if (missing.length) {
  fail(`${missing.map((m) => m.replace(/@.*/, '')).join(' and ')} not installed: they are needed only to build from source; run \`npm install --no-save ${missing.join(' ')}\` in your project`);
}
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2';
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', root, '--parallel', jobs, ...process.argv.slice(2).filter((a) => a !== '--if-possible')], {
  stdio: 'inherit',
  cwd: root,
});
if (r.status !== 0) fail(r.error ? r.error.message : `cmake-js exited with ${r.status}`);
