/**
 * The CLI in a terminal: progress lines that fit the terminal's width (a fake stderr of given
 * columns), accuracy.svg on an images-seen axis, and the full dataset's download over https with
 * SHA-256 checks (a server on 127.0.0.1 serves a wrong file and, where Debian's
 * dataset-fashion-mnist is installed, a right one).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Progress, progressLine, type Io } from '../../src/cli/progress.js';
import { accuracySvg, type RunRecord } from '../../src/cli/report.js';
import { encodeIdx } from '../../src/data/idx.js';
import { FASHION_MNIST_FILES, SYSTEM_FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion.js';

/** What a terminal shows of each redraw: the text between carriage returns, without escapes. */
function visibleLines(chunks: string[]): string[] {
  return chunks.join('').replace(/\x1b\[K/g, '').split(/[\r\n]/).filter((l) => l.length > 0);
}

function fakeIo(columns: number | undefined): { io: Io; chunks: string[] } {
  const chunks: string[] = [];
  return { io: { stdout: () => {}, stderr: (s) => void chunks.push(s), isTTY: true, columns }, chunks };
}

describe('progress lines', () => {
  const states = [
    { epoch: 1, epochs: 10, step: 1, steps: 79, loss: 2.302585, images: 128 },
    { epoch: 10, epochs: 10, step: 79, steps: 79, loss: 0.123456, images: 128 },
    { epoch: 120, epochs: 300, step: 12345, steps: 99999, loss: Number.NaN, images: 4096 },
  ];

  for (const columns of [80, 60, 40, 120, undefined]) {
    it(`fit a terminal of ${columns ?? 'unknown (80)'} columns, with every phase name`, () => {
      const width = (columns ?? 80) - 1;
      for (const phase of ['teacher', 'distilled T=4 alpha=0.9', 'search smoothing=0.1 [seed 3 of 5]']) {
        const { io, chunks } = fakeIo(columns);
        const p = new Progress(io, phase, true);
        for (const s of states) p.update(s); // the last step of an epoch always redraws
        p.epochDone(10, 10, 0.1234, 0.8765, true);
        p.done();
        const lines = visibleLines(chunks);
        expect(lines.length).toBeGreaterThanOrEqual(2);
        for (const l of lines) expect(l.length, `${JSON.stringify(l)} at ${columns} columns`).toBeLessThanOrEqual(width);
      }
    });
  }

  it('keep every field at 80 columns and condense, not drop, them when narrower', () => {
    const s = { epoch: 3, epochs: 10, step: 120, steps: 468, loss: 0.5, images: 128 };
    const wide = progressLine('teacher', s, 1234.4, 119);
    expect(wide).toMatch(/^teacher +\[#+-+\] epoch 3\/10 step 120\/468 loss 0\.5000 1234 img\/s$/);
    const at80 = progressLine('distilled', s, 1234.4, 79);
    expect(at80).toContain('epoch 3/10 step 120/468 loss 0.5000 1234 img/s');
    expect(at80.length).toBeLessThanOrEqual(79);
    const long = 'search smoothing=0.1 [seed 3 of 5]';
    expect(progressLine(long, s, 1234.4, 119)).toContain(long);
    expect(progressLine(long, s, 1234.4, 79)).toContain('search smoothing=0.1 …');
    const narrow = progressLine('distilled', s, 1234.4, 39);
    expect(narrow).toContain('e3/10 120/468 0.5000 1234/s');
    expect(narrow.length).toBeLessThanOrEqual(39);
  });
});

describe('accuracy.svg', () => {
  const run = (name: string, history: number[], imagesSeen: number[]): RunRecord => ({
    name, seed: 1, arch: 'x', params: 1, testAccuracy: 0.8, validationAccuracy: 0.8, trainSeconds: 1,
    epochs: history.length, bestEpoch: 1, inferenceMsPer1000: 1, sizeBytes: 4, gapClosed: null, validationHistory: history,
    imagesSeen, file: `${name}.json`,
  });

  it('places each run by the images it had seen, not by its epoch number', () => {
    // The teacher: 3 epochs over 1,000 images; the distilled student: 3 epochs over 9,000.
    const svg = accuracySvg([run('teacher', [0.5, 0.6, 0.7], [1000, 2000, 3000]), run('distilled', [0.5, 0.6, 0.7], [9000, 18000, 27000])], 't');
    const xs = (name: string) => {
      const m = svg.match(new RegExp(`points="([^"]+)"><title>${name}`));
      return m![1].split(' ').map((p) => Number(p.split(',')[0]));
    };
    const t = xs('teacher');
    const d = xs('distilled');
    // x is linear in images from the axis origin: the teacher's last point is at a ninth of the student's.
    const origin = 60;
    expect((t[2] - origin) / (d[2] - origin)).toBeCloseTo(3000 / 27000, 3);
    expect((t[0] - origin) / (d[0] - origin)).toBeCloseTo(1000 / 9000, 3);
    expect(svg).toContain('training images seen');
    expect(svg).toMatch(/>25k</);
    expect(svg).not.toMatch(/>epoch</);
  });
});

describe('--dataset full downloads', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const served = new Map<string, Buffer>();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kd-fashion-'));
    server = createServer((req, res) => {
      const body = served.get(req.url!.slice(1));
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a file whose SHA-256 is not the official one and keeps nothing of it', async () => {
    // A well-formed IDX file of the official dimensions but other pixels.
    const fake = encodeIdx({ dims: [60000, 28, 28], data: new Uint8Array(60000 * 784).fill(7) }, { gzip: true, level: 1 });
    served.clear();
    served.set('train-images-idx3-ubyte.gz', Buffer.from(fake));
    const cache = join(dir, 'cache-bad');
    const err = await loadFashionMnist({ source: 'full', systemDir: join(dir, 'none'), cacheDir: cache, baseUrl: base }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/SHA-256 of its IDX bytes is [0-9a-f]{64}, expected c59f468a/);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('refuses plain http except to the loopback interface', async () => {
    const opts = { source: 'full' as const, systemDir: join(dir, 'none'), cacheDir: join(dir, 'cache-http') };
    await expect(loadFashionMnist({ ...opts, baseUrl: 'http://example.com/fashion/' })).rejects.toThrow(/https/);
    await expect(loadFashionMnist({ ...opts, baseUrl: 'ftp://127.0.0.1/' })).rejects.toThrow(/https/);
  });

  const debian = existsSync(join(SYSTEM_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
  if (!debian) console.log(`[skip] official-file download check: Debian's dataset-fashion-mnist is not installed (${SYSTEM_FASHION_MNIST_DIR})`);
  it.skipIf(!debian)('keeps a download whose SHA-256 matches and loads the full dataset (Debian\'s files as the official ones)', async () => {
    const cache = join(dir, 'cache-good');
    mkdirSync(cache);
    // Three files already cached, the fourth downloaded.
    for (const k of ['trainImages', 'trainLabels', 'testImages'] as const) {
      const f = `${FASHION_MNIST_FILES[k].name}.gz`;
      copyFileSync(join(SYSTEM_FASHION_MNIST_DIR, f), join(cache, f));
    }
    served.clear();
    served.set('t10k-labels-idx1-ubyte.gz', readFileSync(join(SYSTEM_FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
    const data = await loadFashionMnist({ source: 'full', systemDir: join(dir, 'none'), cacheDir: cache, baseUrl: base });
    expect(data.train.n).toBe(60000);
    expect(data.test.n).toBe(10000);
    expect(readdirSync(cache).sort()).toEqual(Object.values(FASHION_MNIST_FILES).map((f) => `${f.name}.gz`).sort());
  });
});
