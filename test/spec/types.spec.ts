/**
 * Type-level checks of the declarations a consumer gets: the package's declarations are emitted from
 * src/ into a temporary folder, then test/types/consumer.ts (strict, skipLibCheck false, no DOM, no
 * @webgpu/types) and consumer-webgpu.ts (with @webgpu/types) are compiled against them by `tsc --noEmit`.
 * The consumers assert exact types (Float32Array vs Int32Array reads, raw outputs as passed, the ISA
 * union) and, with @ts-expect-error, what must not compile. (.ci/consumer.sh does the same from the
 * packed tarball.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kd-types-'));
const dts = path.join(tmp, 'dist');
// The configs live in `tmp`: resolve `types` entries from the repository's node_modules.
const typeRoots = [path.join(root, 'node_modules/@types'), path.join(root, 'node_modules')];

async function compile(config: object): Promise<string> {
  const file = path.join(tmp, `tsconfig-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  try {
    await run(process.execPath, [tsc, '-p', file], { cwd: root });
    return '';
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
  }
}

const consumer = (files: string[], types: string[], lib: string[]) => ({
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    noUnusedLocals: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib,
    types,
    typeRoots,
    paths: {
      'kd-kernels': [path.join(dts, 'index.d.ts')],
      'kd-kernels/native': [path.join(dts, 'native.d.ts')],
      'kd-kernels/webgpu': [path.join(dts, 'webgpu.d.ts')],
    },
  },
  files: files.map((f) => path.join(root, 'test/types', f)),
});

describe('declarations for consumers', () => {
  beforeAll(async () => {
    const out = await compile({
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: {
        emitDeclarationOnly: true, declaration: true, sourceMap: false, outDir: dts, rootDir: path.join(root, 'src'), typeRoots,
      },
      include: [path.join(root, 'src')],
    });
    expect(out, 'emitting the declarations').toBe('');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a strict Node consumer without DOM or @webgpu/types compiles, with exact read and raw-output types', async () => {
    expect(await compile(consumer(['consumer.ts'], ['node'], ['es2022']))).toBe('');
  });

  it('a consumer with @webgpu/types gets the real GPU types through kd-kernels\' declarations', async () => {
    expect(await compile(consumer(['consumer-webgpu.ts'], ['node', '@webgpu/types'], ['es2022', 'dom']))).toBe('');
  });
});
