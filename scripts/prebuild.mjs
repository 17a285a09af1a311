#!/usr/bin/env node
/**
 * Prebuilt addons for the npm tarball (run by `npm pack` / `npm publish` through prepack; postpack
 * removes them so a checkout keeps loading its own build/Release):
 *   prebuilds/linux-x64/kd_kernels.node     x86-64
 *   prebuilds/linux-arm64/kd_kernels.node   cross-built with g++-aarch64-linux-gnu
 * Both load wherever Node 20 runs on Linux (glibc >= 2.28: RHEL 8, Debian 10+, Ubuntu 20.04+): they
 * are built inside a Debian 11 root (gcc 10, glibc 2.31; gcc >= 11's static libstdc++ needs glibc
 * 2.32+) with CMake's KD_PORTABLE (libstdc++/libgcc static, pre-2.29 libm versions, stripped).
 * The root is KD_BUILD_ROOT (default /var/tmp/kd-bullseye), made once by scripts/make-build-root.sh.
 * Any failure fails `npm pack`: a tarball never lacks a prebuild. .ci/consumer.sh checks the
 * symbol versions. The loader (src/backends/native/addon.ts) tries prebuilds/<platform>-<arch> first.
 *   node scripts/prebuild.mjs [--clean]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'prebuilds');
if (process.argv.includes('--clean')) {
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
const buildRoot = process.env.KD_BUILD_ROOT ?? '/var/tmp/kd-bullseye';
const die = (msg) => {
  console.error(`prebuild: ${msg}`);
  process.exit(1);
};
if (process.platform !== 'linux' || process.arch !== 'x64') die(`the shipped prebuilds are made on linux-x64 hosts, not ${process.platform}-${process.arch}`);
if (!existsSync(join(buildRoot, 'usr/bin/aarch64-linux-gnu-g++'))) {
  die(`no build root at ${buildRoot} (KD_BUILD_ROOT): make it with \`sudo bash scripts/make-build-root.sh\` (debootstrap bullseye)`);
}

// The sources and the N-API headers, copied into the root (which has no node).
const src = join(buildRoot, 'kd-src');
const require = createRequire(join(root, 'package.json'));
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`));
rmSync(join(src, 'native'), { recursive: true, force: true });
cpSync(join(root, 'native'), join(src, 'native'), { recursive: true, preserveTimestamps: true }); // incremental rebuilds
copyFileSync(join(root, 'CMakeLists.txt'), join(src, 'CMakeLists.txt'));
cpSync(join(pkgDir('node-api-headers'), 'include'), join(src, 'napi', 'include'), { recursive: true });
cpSync(pkgDir('node-addon-api'), join(src, 'napi', 'node-addon-api'), { recursive: true });

function build(target, extra) {
  console.log(`prebuild ${target} in ${buildRoot} (Debian 11)`);
  const dir = `/kd-src/build-${target}`;
  const cmake = [
    `cmake -S /kd-src -B ${dir} -DCMAKE_BUILD_TYPE=Release -DKD_PORTABLE=ON -DCMAKE_JS_VERSION=prebuild`,
    '-DCMAKE_JS_INC=/kd-src/napi/include -DNODE_ADDON_API_DIR=/kd-src/napi/node-addon-api',
    ...extra,
    `&& cmake --build ${dir} --target kd_kernels -j${process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? 2}`,
  ].join(' ');
  const chroot = process.getuid?.() === 0 ? ['chroot', buildRoot] : ['unshare', '--map-root-user', 'chroot', buildRoot];
  const r = spawnSync(chroot[0], [...chroot.slice(1), 'sh', '-c', cmake], { stdio: 'inherit', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C' } });
  if (r.status !== 0) die(`the ${target} build failed (${r.error?.message ?? `exit ${r.status}`})`);
  mkdirSync(join(out, target), { recursive: true });
  copyFileSync(join(buildRoot, dir, 'kd_kernels.node'), join(out, target, 'kd_kernels.node'));
}

build('linux-x64', []);
build('linux-arm64', ['-DCMAKE_TOOLCHAIN_FILE=/kd-src/native/toolchains/aarch64-linux-gnu.cmake']);
