/**
 * `kd-kernels distill --compress prune=F,int8`: the flag's errors (one line, exit code 2), pruning
 * masks that stay exactly 0 through optimiser steps, and a tiny end-to-end run: compressed and
 * compressed-distilled rows with their sizes, model files holding int8 weights with their scales (at
 * least the pruned fraction of them 0), `kd-kernels eval` of those files giving the accuracy distill
 * reported, and hostile int8 entries refused with one line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optim, setBackend, tensor } from '../../src/index.js';
import { CompressedLinear, modelBytes } from '../../src/cli/compress.js';
import { buildModel } from '../../src/cli/models.js';
import { saveModel } from '../../src/cli/report.js';
import { compressionLine } from '../../src/cli/distill.js';
import { expectOneLineError, runCli as run } from '../harness/cli.js';
import { uniformInputs } from '../harness/inputs.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-cli-compress-'));
  setBackend('cpu');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TINY = [
  '--backend', 'cpu', '--epochs', '2', '--teacher-epochs', '1', '--labels-per-class', '3', '--val-per-class', '3',
  '--limit-unlabelled', '20', '--limit-test', '40', '--batch-size', '32', '--labelled-batch', '8', '--transfer-batch', '16',
  '--search-epochs', '0', '--student-hidden', '8', '--no-progress',
];

describe('kd-kernels distill --compress', () => {
  it('refuses malformed specs and combinations it does not support, naming --compress', async () => {
    const bad: [string[], RegExp][] = [
      [['--compress', 'prune=0.5,fp16'], /--compress: unknown item 'fp16': expected a comma list of prune=F \(0 <= F < 1\) and int8/],
      [['--compress', 'prune=1'], /--compress: prune must be a fraction F with 0 <= F < 1 \(prune=F\), got 'prune=1'/],
      [['--compress', 'prune=-0.1'], /prune must be a fraction F with 0 <= F < 1/],
      [['--compress', 'prune=abc'], /prune must be a fraction F/],
      [['--compress', 'prune'], /prune must be a fraction F/],
      [['--compress', 'int8,int8'], /--compress: int8 given twice/],
      [['--compress', 'prune=0.1,prune=0.2'], /--compress: prune given twice/],
      [['--compress', 'int8=1'], /--compress: int8 takes no value/],
      [['--compress', 'int8,'], /--compress has an empty item in 'int8,'/],
      [['--compress='], /--compress has an empty item/],
      [['--compress', 'prune=0'], /--compress 'prune=0' compresses nothing/],
      [['--compress', 'int8', '--method', 'hint'], /--compress works with --method kd --mode offline only \(got --method hint --mode offline\)/],
      [['--compress', 'int8', '--mode', 'online'], /--compress works with --method kd --mode offline only/],
      [['--compress', 'int8', '--backend', 'webgpu'], /--compress needs the cpu or native backend/],
    ];
    for (const [flags, pattern] of bad) expectOneLineError(await run(['distill', ...flags]), 2, pattern);
  });

  it('pruned weights stay exactly 0 through optimiser steps; the others train', () => {
    const layer = new CompressedLinear(6, 5, { prune: 0.5, int8: true }, { seed: 3 });
    const before = Float32Array.from(layer.weight.dataSync());
    layer.prune();
    const pruned = new Set(layer.pruned);
    expect(pruned.size).toBe(15);
    // the 15 smallest |w|: none kept is smaller than one pruned
    const mags = Array.from(before, Math.abs);
    const maxPruned = Math.max(...[...pruned].map((i) => mags[i]));
    expect(mags.every((m, i) => pruned.has(i) || m >= maxPruned)).toBe(true);
    const opt = new optim.Adam(layer.parameters(), { lr: 0.05 });
    for (let step = 0; step < 3; step++) {
      const x = tensor(uniformInputs(10 + step, 4 * 6, -1, 1), [4, 6]);
      layer.forward(x).square().sum().backward();
      opt.step();
      layer.applyMask();
      opt.zeroGrad();
    }
    const w = layer.weight.dataSync();
    for (let i = 0; i < w.length; i++) {
      if (pruned.has(i)) expect(Object.is(w[i], 0), `pruned weight ${i}`).toBe(true);
      else expect(w[i], `kept weight ${i}`).not.toBe(before[i]);
    }
  });

  it('counts sizes: int8 kept weights + 1-bit masks + two scales + float32 biases per layer', () => {
    const arch = { kind: 'mlp' as const, hidden: [8], dropout: 0 };
    expect(modelBytes(buildModel(arch).model, undefined)).toBe(4 * (784 * 8 + 8 + 8 * 10 + 10));
    const m = buildModel({ ...arch, compress: { prune: 0.5, int8: true } }).model;
    expect(modelBytes(m, { prune: 0.5, int8: true })).toBe(3136 + 784 + 8 + 32 + (40 + 10 + 8 + 40));
    expect(modelBytes(m, { prune: 0, int8: true })).toBe(6272 + 8 + 32 + (80 + 8 + 40));
  });

  it('refuses a pruned float32 file whose weights are not pruned', async () => {
    const file = join(dir, 'unpruned.json');
    await saveModel(file, buildModel({ kind: 'mlp', hidden: [8], dropout: 0, compress: { prune: 0.5, int8: false } }, 5), { run: 'compressed' });
    expectOneLineError(await run(['eval', '--model', file, '--backend', 'cpu', '--limit-test', '5']), 1, /parameter 0.weight has 0 zero weights, fewer than the 3136 of prune=0.5/);
  });

  it('says what KD recovers of the accuracy lost to compression', () => {
    expect(compressionLine(0.8, 0.7, 0.75)).toBe(
      'KD recovers +5.00 points, 50% of the 10.00 points lost to compression (student - compressed); compressed-distilled vs the uncompressed student: -5.00 points',
    );
    expect(compressionLine(0.8, 0.79, 0.82)).toMatch(/^KD recovers all of the 1.00 points lost to compression \(student - compressed\) and more: \+3.00 points \(300% of it\); .* \+2.00 points$/);
    expect(compressionLine(0.8, 0.81, 0.82)).toMatch(/^compression lost nothing here \(compressed - student: \+1.00\), so there is nothing to recover; compressed-distilled - compressed: \+1.00;/);
  });

  it('runs end to end; the int8 files hold int8 weights, and eval reads them back with the same accuracy', async () => {
    const out = join(dir, 'run');
    const r = await run(['distill', '--compress', 'prune=0.5,int8', '--temperature', '2', '--alpha', '0.5', ...TINY, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.compress).toEqual({ prune: 0.5, int8: true });
    const runs = report.runs as { name: string; arch: string; testAccuracy: number; sizeBytes: number; file: string; temperature?: number; prunedAfterEpochs?: number }[];
    expect(runs.map((x) => x.name)).toEqual(['teacher', 'student', 'distilled', 'control', 'compressed', 'compressed-distilled']);
    const [student, compressed, cd] = [runs[1], runs[4], runs[5]];
    expect(compressed.arch).toBe('MLP 784-8-10 (prune=0.5,int8)');
    expect(cd.temperature).toBe(2);
    expect(compressed.prunedAfterEpochs).toBe(0);
    expect(student.sizeBytes).toBe(4 * (784 * 8 + 8 + 8 * 10 + 10));
    expect(compressed.sizeBytes).toBe(3136 + 784 + 8 + 32 + (40 + 10 + 8 + 40));
    expect(r.out).toMatch(/compressed-distilled vs the uncompressed student: [+-]\d+\.\d\d points/);
    expect(r.out).toMatch(/size \(bytes\)/);

    for (const arm of [compressed, cd]) {
      const file = join(out, arm.file);
      const model = JSON.parse(readFileSync(file, 'utf8'));
      expect(model.arch.compress).toEqual({ prune: 0.5, int8: true });
      for (const [name, n] of [['0.weight', 784 * 8], ['2.weight', 80]] as const) {
        const e = model.stateDict[name];
        expect(e.dtype).toBe('int8');
        expect(e.scale).toBeGreaterThan(0);
        expect(e.inputScale).toBeGreaterThan(0);
        const levels = new Int8Array(Buffer.from(e.data, 'base64'));
        expect(levels.length).toBe(n);
        expect(levels.filter((q) => q === 0).length).toBeGreaterThanOrEqual(n / 2);
        expect(Math.max(...Array.from(levels, Math.abs))).toBe(127); // the scale is max|W| / 127
      }
      expect(model.stateDict['0.bias'].dtype).toBe('float32');
      const ev = await run(['eval', '--model', file, '--backend', 'cpu', '--limit-test', '40', '--batch-size', '7']);
      expect(ev.code, ev.err).toBe(0);
      expect(ev.out).toContain(`test accuracy ${(100 * arm.testAccuracy).toFixed(2)}% on 40`);
      expect(ev.out).toContain('(prune=0.5,int8)');
    }

    // Hostile int8 entries: one line each, before the network runs.
    const good = JSON.parse(readFileSync(join(out, compressed.file), 'utf8'));
    const hostile = (name: string, edit: (sd: Record<string, Record<string, unknown>>) => void) => {
      const copy = structuredClone(good);
      edit(copy.stateDict);
      const p = join(dir, `${name}.json`);
      writeFileSync(p, JSON.stringify(copy));
      return p;
    };
    const levels = (q: number[]) => Buffer.from(Int8Array.from({ length: 80 }, (_, i) => q[i % q.length]).buffer).toString('base64');
    const cases: [string, (sd: Record<string, Record<string, unknown>>) => void, RegExp][] = [
      ['minus128', (sd) => void (sd['2.weight'].data = levels([0, -128])), /parameter 2.weight holds the level -128 at index 1/],
      ['few-zeros', (sd) => void (sd['2.weight'].data = levels([0, 1, 2])), /parameter 2.weight has 27 zero weights, fewer than the 40 of prune=0.5/],
      ['scale-nan', (sd) => void (sd['0.weight'].scale = 'NaN'), /parameter 0.weight: scale must be a float32 number/],
      ['scale-zero', (sd) => void (sd['0.weight'].inputScale = 0), /parameter 0.weight: inputScale must be a float32 number/],
      ['short', (sd) => void (sd['2.weight'].data = 'AAAA'), /parameter 2.weight must be 108 base64 characters \(80 int8\), got 4/],
      ['float32-weight', (sd) => void (sd['2.weight'].dtype = 'float32'), /parameter 2.weight must have dtype 'int8', got "float32"/],
      ['int8-bias', (sd) => void (sd['2.bias'].dtype = 'int8'), /parameter 2.bias must have dtype 'float32', got "int8"/],
    ];
    for (const [name, edit, pattern] of cases) {
      expectOneLineError(await run(['eval', '--model', hostile(name, edit), '--backend', 'cpu', '--limit-test', '5']), 1, pattern);
    }
  }, 400_000); // a loaded 2-core machine runs this tiny cpu run in 1 to 3 minutes
});
