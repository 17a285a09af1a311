/**
 * The `kd-kernels` command line: `distill`, `eval`, `info`, `build-native`, `--help`, `--version`.
 *
 * main(argv, io) returns the exit code: 0, 2 for usage errors (bad flags or values), 1 for other
 * known failures (missing data, bad files, unavailable backend). Errors print one line,
 * `kd-kernels: <message>`; the stack trace only with KD_DEBUG=1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeLoadError, releaseWebGPU, useWebGPU } from '../index.js';
import { packageRoot } from '../data/fashion.js';
import { HELP, UsageError, parseArgs } from './args.js';
import type { Io } from './progress.js';
import { nativeReason } from './backend.js';

export { UsageError } from './args.js';
export type { Io } from './progress.js';

export function defaultIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: !!process.stderr.isTTY,
    get columns() {
      return process.stderr.columns;
    },
  };
}

function version(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

async function info(io: Io): Promise<number> {
  const lines = [`kd-kernels ${version()} (node ${process.version}, ${process.platform}-${process.arch})`, 'backends:', '  cpu     available (reference TypeScript)'];
  const nErr = nativeLoadError();
  if (nErr) lines.push(`  native  not available: ${nativeReason(nErr)} (run: npx kd-kernels build-native)`);
  else {
    let isa = '';
    try {
      const { native } = await import('../native.js');
      const i = native.info();
      isa = `, ISA ${i.isa} (supported: ${i.isasSupported.join(', ')}; ${i.threads} thread(s))`;
    } catch {
      // an older addon without info(): no ISA line
    }
    lines.push(`  native  available${isa}`);
  }
  try {
    const gpu = (await useWebGPU({ makeCurrent: false })) as unknown as { device?: { adapterInfo?: { vendor?: string; architecture?: string; description?: string } } };
    const ai = gpu.device?.adapterInfo;
    const desc = ai ? [ai.vendor, ai.architecture, ai.description].filter(Boolean).join(' ') : '';
    lines.push(`  webgpu  available${desc ? ` (${desc})` : ''}`);
  } catch (e) {
    lines.push(`  webgpu  not available: ${String((e as Error).message ?? e).split('\n')[0]}`);
  } finally {
    releaseWebGPU();
  }
  lines.push(`default backend: ${nErr ? 'cpu' : 'native'}`);
  io.stdout(lines.join('\n') + '\n');
  return 0;
}

/** scripts/build-native.mjs (cmake-js compile; says how to get cmake-js and node-addon-api when missing). */
function buildNative(io: Io): Promise<number> {
  const cwd = packageRoot();
  const script = join(cwd, 'scripts', 'build-native.mjs');
  io.stderr(`kd-kernels: running 'node ${script}' in ${cwd}\n`);
  return new Promise((res) => {
    const child = spawn(process.execPath, [script], { cwd, stdio: 'inherit' });
    child.on('error', (e) => {
      io.stderr(`kd-kernels: could not run ${script}: ${e.message}\n`);
      res(1);
    });
    child.on('exit', (code) => res(code ?? 1));
  });
}

/** Known, expected failures: printed as one line without a stack. */
function isKnown(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  return ['UsageError', 'IdxFormatError', 'BackendUnavailableError', 'Error', 'RangeError', 'TypeError'].includes(e.name) || e.constructor.name === 'BackendUnavailableError';
}

export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    switch (cmd.command) {
      case 'help':
        if (cmd.topic !== undefined && !HELP[cmd.topic]) throw new UsageError(`no help for '${cmd.topic}' (commands: distill, eval, info, build-native)`);
        io.stdout(`${HELP[cmd.topic ?? 'main']}\n`);
        return 0;
      case 'version':
        io.stdout(`${version()}\n`);
        return 0;
      case 'info':
        return await info(io);
      case 'build-native':
        return await buildNative(io);
      case 'distill': {
        const { runDistill } = await import('./distill.js');
        return await runDistill(cmd.options, io);
      }
      case 'eval': {
        const { runEval } = await import('./eval.js');
        return await runEval(cmd.options, io);
      }
    }
  } catch (e) {
    const debug = process.env.KD_DEBUG === '1';
    if (e instanceof UsageError) {
      io.stderr(`kd-kernels: ${e.message}\n`);
      if (debug) io.stderr(`${e.stack}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`kd-kernels: ${msg.split('\n')[0]}${isKnown(e) ? '' : ' (KD_DEBUG=1 shows the stack)'}\n`);
    if (debug && e instanceof Error) io.stderr(`${e.stack}\n`);
    return 1;
  } finally {
    releaseWebGPU();
  }
}
