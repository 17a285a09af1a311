/**
 * The kd-kernels CLI, in process through main(argv, io): argument errors (one line, exit code 2),
 * known failures (missing data folder, a teacher file of the wrong shape: one line, exit code 1),
 * never a stack trace; and a tiny end-to-end distill run on the cpu backend whose report.json,
 * model files and accuracy.svg are checked, with `eval --model` reproducing the reported accuracy.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Captured, expectOneLineError, runCli as run } from '../harness/cli.js';
import { parseArgs } from '../../src/cli/args.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('kd-kernels CLI: arguments', () => {
  it('prints help and the version', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/kd-kernels distill/);
    const dh = await run(['distill', '--help']);
    expect(dh.code).toBe(0);
    expect(dh.out).toMatch(/--labels-per-class/);
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects an unknown command or flag with one line and exit code 2', async () => {
    expectOneLineError(await run(['distil']), 2, /unknown command 'distil'/);
    expectOneLineError(await run(['distill', '--epoch', '3']), 2, /unknown flag '--epoch'.*did you mean --epochs/);
    expectOneLineError(await run(['distill', '--frobnicate']), 2, /unknown flag '--frobnicate'/);
    expectOneLineError(await run(['distill', 'extra']), 2, /unexpected argument 'extra'/);
    expectOneLineError(await run(['eval']), 2, /--model FILE/);
  });

  it('validates numbers and choices', async () => {
    expectOneLineError(await run(['distill', '--epochs', 'abc']), 2, /--epochs must be an integer, got 'abc'/);
    expectOneLineError(await run(['distill', '--epochs', '0']), 2, /--epochs must be an integer >= 1/);
    expectOneLineError(await run(['distill', '--lr', '-1']), 2, /--lr must be a number > 0/);
    expectOneLineError(await run(['distill', '--alpha', '1.5']), 2, /--alpha must be a number <= 1/);
    expectOneLineError(await run(['distill', '--temperature', 'hot']), 2, /--temperature must be a number/);
    expectOneLineError(await run(['distill', '--batch-size']), 2, /--batch-size needs a value/);
    expectOneLineError(await run(['distill', '--method', 'magic']), 2, /--method must be one of kd, hint, sp, multi-teacher/);
    expectOneLineError(await run(['distill', '--backend', 'tpu']), 2, /--backend must be one of cpu, native, webgpu/);
    expectOneLineError(await run(['distill', '--teacher-weights', '1']), 2, /--teacher-weights must be two/);
    expectOneLineError(await run(['distill', '--seed', '1', '--seed', '2']), 2, /--seed given twice/);
    expectOneLineError(await run(['distill', '--mode', 'online', '--method', 'sp']), 2, /--mode online works with --method kd only/);
  });

  it("accepts --labels-per-class all|N and rejects anything else", async () => {
    expectOneLineError(await run(['distill', '--labels-per-class', 'abc']), 2, /--labels-per-class must be 'all' or a positive integer, got 'abc'/);
    expectOneLineError(await run(['distill', '--labels-per-class', '0']), 2, /--labels-per-class must be/);
    const all = parseArgs(['distill', '--labels-per-class', 'all']);
    expect(all.command === 'distill' && all.options.labelsPerClass).toBe(null);
    const n = parseArgs(['distill', '--labels-per-class=25', '--epochs=3']);
    expect(n.command === 'distill' && [n.options.labelsPerClass, n.options.epochs]).toEqual([25, 3]);
    const d = parseArgs(['distill']);
    expect(d.command === 'distill' && [d.options.labelsPerClass, d.options.method, d.options.mode, d.options.studentHidden]).toEqual([100, 'kd', 'offline', 32]);
  });

  it('takes one --teacher per seed (a comma list or a {seed} pattern) and refuses one shared by several seeds', async () => {
    expectOneLineError(await run(['distill', '--teacher', 't.json', '--seeds', '3']), 2, /--teacher t\.json with --seeds 3: one teacher for every seed .* one file per seed/);
    expectOneLineError(await run(['distill', '--teacher', 'a.json,b.json', '--seeds', '3']), 2, /--teacher lists 2 files for --seeds 3/);
    expectOneLineError(await run(['distill', '--teacher', 'a.json,', '--seeds', '2']), 2, /--teacher has an empty file name/);
    const list = parseArgs(['distill', '--teacher', 'a.json,b.json,c.json', '--seeds', '3']);
    expect(list.command === 'distill' && list.options.teachers).toEqual(['a.json', 'b.json', 'c.json']);
    const pattern = parseArgs(['distill', '--teacher', 'out/teacher-seed{seed}.json', '--seed', '4', '--seeds', '2']);
    expect(pattern.command === 'distill' && pattern.options.teachers).toEqual(['out/teacher-seed4.json', 'out/teacher-seed5.json']);
    const one = parseArgs(['distill', '--teacher', 't.json']);
    expect(one.command === 'distill' && one.options.teachers).toEqual(['t.json']);
  });

  it('has the distillation recipe as defaults, and validates the batch and learning-rate flags', async () => {
    const d = parseArgs(['distill']);
    expect(d.command === 'distill' && [d.options.epochs, d.options.lr, d.options.teacherLr, d.options.labelledBatch, d.options.transferBatch]).toEqual([50, 2e-3, 1e-3, 32, 128]);
    expectOneLineError(await run(['distill', '--labelled-batch', '0']), 2, /--labelled-batch must be an integer >= 1/);
    expectOneLineError(await run(['distill', '--transfer-batch', 'x']), 2, /--transfer-batch must be an integer/);
    expectOneLineError(await run(['distill', '--teacher-lr', '0']), 2, /--teacher-lr must be a number > 0/);
  });

  it('reports a missing data folder with one line and exit code 1', async () => {
    const missing = join(dir, 'no-such-folder');
    expectOneLineError(await run(['distill', '--dataset', 'full', '--data-dir', missing, '--no-progress']), 1, /Fashion-MNIST not found in .*no-such-folder: no such folder/);
    expectOneLineError(await run(['eval', '--model', join(dir, 'none.json')]), 1, /model file .*none\.json: no such file/);
  });

  it('reports a too large --labels-per-class as a usage error', async () => {
    const r = await run(['distill', '--labels-per-class', '5000', '--backend', 'cpu', '--no-progress', '--out', join(dir, 'big')]);
    expectOneLineError(r, 2, /--labels-per-class 5000 is too large/);
  });
});

describe('kd-kernels distill: a tiny end-to-end run on the cpu backend', () => {
  const out = () => join(dir, 'run');
  const tiny = [
    '--backend', 'cpu', '--epochs', '2', '--teacher-epochs', '1', '--search-epochs', '1', '--labels-per-class', '5',
    '--val-per-class', '10', '--limit-unlabelled', '100', '--limit-test', '100', '--batch-size', '32', '--no-progress',
  ];
  let result: Captured;

  beforeAll(async () => {
    result = await run(['distill', ...tiny, '--out', out()]);
  }, 300_000); // minutes on a loaded machine: the cpu backend's CNN is slow

  it('exits 0 and prints the table', () => {
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/run\s+model\s+params\s+size \(bytes\)\s+test acc %\s+train s\s+ms\/1000 img\s+gap closed/);
    for (const name of ['teacher', 'student', 'distilled', 'control']) expect(result.out).toMatch(new RegExp(`\\n${name}\\s`));
    expect(result.out).toMatch(/chosen on the validation split/);
  });

  it('writes report.json with the documented fields', () => {
    const report = JSON.parse(readFileSync(join(out(), 'report.json'), 'utf8'));
    expect(report.dataset).toBe('fashion-mnist-subset');
    expect(report.backend).toBe('cpu');
    expect(report.seed).toBe(1);
    expect(report.labelsPerClass).toBe(5);
    expect(report.runs.map((r: { name: string }) => r.name)).toEqual(['teacher', 'student', 'distilled', 'control']);
    for (const r of report.runs) {
      expect(r.params).toBeGreaterThan(0);
      expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.testAccuracy).toBeLessThanOrEqual(1);
      expect(r.validationAccuracy).toBeGreaterThan(0);
      expect(r.trainSeconds).toBeGreaterThanOrEqual(0);
      expect(r.inferenceMsPer1000).toBeGreaterThan(0);
      expect(existsSync(join(out(), r.file))).toBe(true);
    }
    const byName = Object.fromEntries(report.runs.map((r: { name: string }) => [r.name, r]));
    expect(byName.teacher.epochs).toBe(1);
    expect(byName.student.epochs).toBe(2);
    expect(byName.distilled.epochs).toBe(2);
    expect(byName.distilled.validationHistory).toHaveLength(2);
    expect(byName.student.params).toBe(784 * 32 + 32 + 32 * 10 + 10);
    expect(typeof byName.distilled.temperature).toBe('number');
    expect(typeof byName.distilled.alpha).toBe('number');
    expect(report.perSeed[0]).toMatchObject({ labelled: 50, unlabelled: 100, validation: 100, test: 100 });
  });

  it('writes accuracy.svg with a polyline per run and a legend', () => {
    const svg = readFileSync(join(out(), 'accuracy.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    for (const name of ['teacher', 'student', 'distilled', 'control']) expect(svg).toContain(`>${name}</text>`);
  });

  it('eval --model reproduces the reported test accuracy', async () => {
    const report = JSON.parse(readFileSync(join(out(), 'report.json'), 'utf8'));
    for (const name of ['distilled', 'teacher']) {
      const r = report.runs.find((x: { name: string }) => x.name === name);
      const e = await run(['eval', '--model', join(out(), r.file), '--backend', 'cpu', '--limit-test', '100']);
      expect(e.code).toBe(0);
      expect(e.out).toContain(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}% on 100`);
    }
  }, 180_000);

  it('loads a teacher with --teacher, and rejects one of the wrong shape', async () => {
    const report = JSON.parse(readFileSync(join(out(), 'report.json'), 'utf8'));
    const teacherFile = join(out(), report.runs[0].file);
    const quick = tiny.map((a, i) => (tiny[i - 1] === '--search-epochs' ? '0' : tiny[i - 1] === '--epochs' ? '1' : a));
    const again = await run(['distill', ...quick, '--teacher', teacherFile, '--out', join(dir, 'run2')]);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    const r2 = JSON.parse(readFileSync(join(dir, 'run2', 'report.json'), 'utf8'));
    expect(r2.runs[0]).toMatchObject({ name: 'teacher', loadedFrom: teacherFile, testAccuracy: report.runs[0].testAccuracy });

    // The student's weights under the teacher's architecture: a file of the wrong shape.
    const student = JSON.parse(readFileSync(join(out(), report.runs[1].file), 'utf8'));
    const teacher = JSON.parse(readFileSync(teacherFile, 'utf8'));
    const bad = join(dir, 'bad-teacher.json');
    writeFileSync(bad, JSON.stringify({ ...student, arch: teacher.arch }));
    expectOneLineError(await run(['distill', '--teacher', bad, '--backend', 'cpu', '--no-progress', '--out', join(dir, 'run3')]), 1, /model file .*bad-teacher\.json: .*(missing|must have shape)/);
    const notModel = join(dir, 'not-a-model.json');
    writeFileSync(notModel, '{"hello": 1}');
    expectOneLineError(await run(['distill', '--teacher', notModel, '--backend', 'cpu', '--no-progress', '--out', join(dir, 'run3')]), 1, /not a kd-kernels model file/);
  }, 180_000);
});
