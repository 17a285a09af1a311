/**
 * Hostile files: what a model file or an IDX file claims is checked before memory is spent on it,
 * and weights or teacher outputs that are not finite stop the CLI with one line.
 *
 *   - a model file declaring a huge architecture (100 bytes that claim gigabytes of weights)
 *   - a model file whose parameter shapes or base64 lengths disagree with its architecture
 *   - a model file holding a NaN weight (eval and distill --teacher refuse it)
 *   - a teacher with finite weights whose soft targets overflow (distill refuses to train on them)
 *   - a gzip bomb in place of an IDX file, and an IDX header declaring more than MAX_IDX_BYTES
 *
 * Memory is measured as the growth of the process's peak resident set (resourceUsage().maxRSS),
 * so an allocation that is dropped again still counts. The memory cases run first, while the
 * peak is low.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/index.js';
import { IdxFormatError, MAX_IDX_BYTES, encodeIdx, readIdx, readIdxSync } from '../../src/data/idx.js';
import { MAX_MODEL_PARAMETERS, buildModel, checkArch, studentArch } from '../../src/cli/models.js';
import { saveModel } from '../../src/cli/report.js';
import { expectOneLineError, runCli } from '../harness/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-hostile-'));
  setBackend('cpu');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Growth of the process's peak RSS, in MiB, over `fn`. */
async function peakGrowthMiB(fn: () => Promise<unknown> | unknown): Promise<number> {
  const before = process.resourceUsage().maxRSS;
  await fn();
  return (process.resourceUsage().maxRSS - before) / 1024;
}

/** `header` followed by `zeroMiB` MiB of zeros, gzip-compressed as a stream (never held inflated). */
async function gzipBomb(header: Uint8Array, zeroMiB: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((res) => gz.on('end', res));
  gz.write(header);
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < zeroMiB; i++) if (!gz.write(zeros)) await new Promise((res) => gz.once('drain', res));
  gz.end();
  await done;
  return Buffer.concat(chunks);
}

const evalArgs = (file: string) => ['eval', '--model', file, '--backend', 'cpu', '--limit-test', '20'];

/** A model file of `arch` with an empty state dict: a few bytes that claim the whole architecture. */
function declaredOnly(name: string, arch: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ format: 'kd-kernels-model', version: 1, arch, stateDict: {} }));
  return p;
}

describe('hostile files: sizes are checked before memory is spent', () => {
  it('refuses a gzip bomb in place of an IDX file without inflating it', async () => {
    // 7,856 bytes declared (10 images of 28x28), 128 MiB of zeros behind them: about 130 KB of gzip.
    const header = encodeIdx({ dims: [10, 28, 28], data: new Uint8Array(10 * 784) });
    const bomb = await gzipBomb(header, 128);
    expect(bomb.length).toBeLessThan(2 ** 20);
    const p = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(p, bomb);
    let err: unknown;
    const grew = await peakGrowthMiB(() => {
      try {
        readIdxSync(p, 3);
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(IdxFormatError);
    expect((err as Error).message).toMatch(/payload has more than 7840 bytes, header says 10x28x28 = 7840 \(trailing bytes/);
    expect(grew).toBeLessThan(48);
    await expect(readIdx(p, 3)).rejects.toThrow(/trailing bytes/);
  });

  it('refuses an IDX header that declares more than MAX_IDX_BYTES before inflating', async () => {
    // 100000 x 100 x 100 = 1e9 bytes declared, with a 1 MiB gzip of zeros behind it.
    const header = new Uint8Array(16);
    const view = new DataView(header.buffer);
    header[2] = 8;
    header[3] = 3;
    [100000, 100, 100].forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    const p = join(dir, 'huge-idx3-ubyte.gz');
    writeFileSync(p, await gzipBomb(header, 1));
    expect(() => readIdxSync(p, 3)).toThrow(new RegExp(`declares 100000x100x100 = 1000000000 bytes, more than the ${MAX_IDX_BYTES} bytes`));
  });

  it('refuses a model file declaring an architecture over the cap before building it', async () => {
    // 784-8192-8192-10: 73.6 M parameters (295 MB of float32) claimed by a ~100-byte file.
    const big = declaredOnly('big.json', { kind: 'mlp', hidden: [8192, 8192], dropout: 0 });
    let r: Awaited<ReturnType<typeof runCli>> | undefined;
    const grew = await peakGrowthMiB(async () => {
      r = await runCli(evalArgs(big));
    });
    expectOneLineError(r!, 1, new RegExp(`big\\.json: architecture MLP 784-8192-8192-10 is too large: \\d+ parameters, at most ${MAX_MODEL_PARAMETERS}`));
    expect(grew).toBeLessThan(64);
    // The file of the issue: two 65536-wide layers (17 GB of weights) in about 100 bytes.
    const issue = declaredOnly('two-65536.json', { kind: 'mlp', hidden: [65536, 65536], dropout: 0 });
    expect(readFileSync(issue).length).toBeLessThan(120);
    expectOneLineError(await runCli(evalArgs(issue)), 1, /two-65536\.json: architecture .* is too large/);
    // Wide convolutions are capped by their activations per image, not only their parameters.
    expect(() => checkArch({ kind: 'cnn', channels: [4096, 1], hidden: 1, dropout: 0 })).toThrow(/hidden activations per image/);
    expect(() => checkArch({ kind: 'mlp', hidden: Array(17).fill(8), dropout: 0 })).toThrow(/17 hidden layers, at most 16/);
  });
});

describe('hostile files: state dicts and weights', () => {
  let good: string;
  let json: { stateDict: Record<string, { shape: number[]; data: string }> };
  beforeAll(async () => {
    good = join(dir, 'student.json');
    await saveModel(good, buildModel(studentArch(8), 3), { run: 'student' });
    json = JSON.parse(readFileSync(good, 'utf8'));
  });
  const variant = (name: string, edit: (sd: typeof json.stateDict) => void): string => {
    const copy = JSON.parse(JSON.stringify(json));
    edit(copy.stateDict);
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(copy));
    return p;
  };

  it('loads the untouched file', async () => {
    const r = await runCli(evalArgs(good));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses shapes and base64 lengths that disagree with the architecture, before decoding', async () => {
    const shape = variant('shape.json', (sd) => (sd['0.weight'].shape = [65536, 65536]));
    expectOneLineError(await runCli(evalArgs(shape)), 1, /shape\.json: parameter 0\.weight must have shape \[8, 784\], got \[65536,65536\]/);
    const long = variant('long.json', (sd) => (sd['0.weight'].data += 'AAAA'.repeat(1000)));
    expectOneLineError(await runCli(evalArgs(long)), 1, /long\.json: parameter 0\.weight must be 33452 base64 characters \(6272 float32\), got 37452/);
    const junk = variant('junk.json', (sd) => (sd['0.bias'].data = '!'.repeat(sd['0.bias'].data.length)));
    expectOneLineError(await runCli(evalArgs(junk)), 1, /junk\.json: parameter 0\.bias is not valid base64/);
    const extra = variant('extra.json', (sd) => (sd['9.weight'] = { shape: [1], data: 'AAAAAA==' }));
    expectOneLineError(await runCli(evalArgs(extra)), 1, /extra\.json: unexpected parameters 9\.weight/);
  });

  it('refuses a NaN weight in eval and in distill --teacher', async () => {
    const nan = variant('nan.json', (sd) => {
      const b = Buffer.from(sd['2.weight'].data, 'base64');
      const w = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
      w[5] = Number.NaN;
      sd['2.weight'].data = Buffer.from(w.buffer).toString('base64');
    });
    expectOneLineError(await runCli(evalArgs(nan)), 1, /nan\.json: parameter 2\.weight holds a non-finite weight \(NaN at index 5\)/);
    const d = await runCli(['distill', '--teacher', nan, '--backend', 'cpu', '--no-progress', '--out', join(dir, 'out-nan')]);
    expectOneLineError(d, 1, /nan\.json: parameter 2\.weight holds a non-finite weight/);
  });

  it('stops distill when a finite teacher gives non-finite soft targets', async () => {
    // Every weight 3e38: the logits overflow to +-Infinity / NaN on the transfer images.
    const huge = variant('overflow.json', (sd) => {
      for (const v of Object.values(sd)) {
        const n = Buffer.from(v.data, 'base64').length / 4;
        v.data = Buffer.from(new Float32Array(n).fill(3e38).buffer).toString('base64');
      }
    });
    const r = await runCli([
      'distill', '--teacher', huge, '--backend', 'cpu', '--no-progress', '--epochs', '1', '--search-epochs', '0',
      '--labels-per-class', '5', '--val-per-class', '10', '--limit-unlabelled', '20', '--limit-test', '20', '--out', join(dir, 'out-overflow'),
    ]);
    expectOneLineError(r, 1, /the teacher loaded from .*overflow\.json gives non-finite soft targets \((Infinity|-Infinity|NaN) on training image \d+\): refusing to distill from it/);
  });
});
