/**
 * `kd-kernels distill --method fsp`: its flag errors (one line, exit code 2), an MLP teacher file
 * refused (exit code 1), and a tiny end-to-end run on the cpu backend: CNN student and FSP-distilled
 * CNN rows, both of the narrow CNN, the distilled one recording its two stages.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli as run } from '../harness/cli.js';
import { buildModel, describeArch } from '../../src/cli/models.js';
import { saveModel } from '../../src/cli/report.js';
import { fspStudentArch } from '../../src/cli/fsp.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-cli-fsp-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TINY = [
  '--backend', 'cpu', '--epochs', '1', '--teacher-epochs', '1', '--labels-per-class', '3', '--val-per-class', '3',
  '--limit-unlabelled', '20', '--limit-test', '40', '--batch-size', '32', '--no-progress',
];

describe('kd-kernels distill --method fsp', () => {
  it('refuses flags that do not go with it', async () => {
    expectOneLineError(await run(['distill', '--method', 'fsp', '--mode', 'online']), 2, /--mode online works with --method kd only \(got --method fsp\)/);
    expectOneLineError(await run(['distill', '--method', 'fsp', '--mode', 'self']), 2, /--mode self works with --method kd only/);
    expectOneLineError(await run(['distill', '--method', 'fsp', '--feature-weight', '2']), 2, /--feature-weight is only used with --method hint or sp/);
    expectOneLineError(await run(['distill', '--method', 'fsp', '--teacher-weights', '0.5,0.5']), 2, /--teacher-weights is only used with --method multi-teacher/);
  });

  it('refuses a teacher file without conv maps', async () => {
    const file = join(dir, 'mlp-teacher.json');
    await saveModel(file, buildModel({ kind: 'mlp', hidden: [16], dropout: 0 }, 3), { run: 'teacher' });
    expectOneLineError(
      await run(['distill', '--method', 'fsp', '--teacher', file, ...TINY, '--out', join(dir, 'bad')]),
      1, /--method fsp needs a CNN teacher/,
    );
  });

  it('runs end to end: a CNN student and its FSP-distilled twin', async () => {
    const out = join(dir, 'run');
    const r = await run(['distill', '--method', 'fsp', ...TINY, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.method).toBe('fsp');
    const runs = report.runs as { name: string; arch: string; testAccuracy: number; fspStage1Epochs?: number }[];
    expect(runs.map((x) => x.name)).toEqual(['teacher', 'student', 'distilled']);
    const cnn = describeArch(fspStudentArch(32));
    expect(runs[1].arch).toBe(cnn);
    expect(runs[2].arch).toBe(cnn);
    expect(runs[2].fspStage1Epochs).toBe(1);
    for (const x of runs) expect(x.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.out).toMatch(/fsp: CNN conv8-conv16-fc32-fc10 student; stage 1/);
  }, 400_000); // a loaded 2-core machine runs this tiny cpu run in 1 to 3 minutes
});
