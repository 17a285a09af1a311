/** Running the kd-kernels CLI in process through main(argv, io), output captured. */
import { expect } from 'vitest';
import { main, type Io } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

/** The run failed with exit code `code` and one `kd-kernels: ...` line matching `pattern`, no stack. */
export function expectOneLineError(r: Captured, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.err.trim().split('\n');
  const last = lines[lines.length - 1];
  expect(last).toMatch(/^kd-kernels: /);
  expect(last).toMatch(pattern);
  expect(r.err + r.out).not.toMatch(/\n\s+at /); // no stack trace
}
