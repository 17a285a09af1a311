#!/usr/bin/env node
/**
 * Prebuilt addons for the npm tarball (run by `npm pack` / `npm publish` through prepack; postpack
 * removes them so a checkout keeps loading its own build/Release):
 *   prebuilds/linux-x64/kd_kernels.node     the native build (on an x86-64 Linux host)
 *   prebuilds/linux-arm64/kd_kernels.node   cross-built with g++-aarch64-linux-gnu (shared/ARM.md)
 * The loader (src/backends/native/addon.ts) tries prebuilds/<platform>-<arch> first.
 *   node scripts/prebuild.mjs [--clean]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'prebuilds');
if (process.argv.includes('--clean')) {
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
const cmakeJs = createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function build(target, extra) {
  const buildDir = target === `${process.platform}-${process.arch}` ? 'build' : `build-${target}`;
  console.log(`prebuild ${target} (${buildDir}/)`);
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', root, '--out', buildDir, '--parallel', '2', ...extra], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw new Error(`cmake-js failed for ${target}`);
  mkdirSync(join(out, target), { recursive: true });
  copyFileSync(join(root, buildDir, 'Release', 'kd_kernels.node'), join(out, target, 'kd_kernels.node'));
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(`prebuild: only linux-x64 hosts make the shipped prebuilds; building ${process.platform}-${process.arch} only`);
  build(`${process.platform}-${process.arch}`, []);
  process.exit(0);
}
build('linux-x64', []);
if (has('aarch64-linux-gnu-g++')) {
  build('linux-arm64', [`--CDCMAKE_TOOLCHAIN_FILE=${join(root, 'native/toolchains/aarch64-linux-gnu.cmake')}`]);
} else {
  console.warn('prebuild: no aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu): the tarball has no linux-arm64 addon');
}
