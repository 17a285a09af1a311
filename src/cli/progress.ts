/**
 * Progress of a training phase: a one-line bar redrawn in place on a TTY (phase, epoch, step,
 * loss, images/s), or plain lines every few seconds (and at every epoch's end) otherwise.
 */

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal (progress bar) or not (plain periodic lines). */
  isTTY: boolean;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  images: number;
}

export class Progress {
  private start = Date.now();
  private lastLine = Date.now();
  private images = 0;
  private drawn = false;

  constructor(private readonly io: Io, private readonly phase: string, private readonly enabled: boolean, private readonly intervalMs = 5000) {}

  /** Called after every step with the images it processed. */
  update(s: ProgressState): void {
    if (!this.enabled) return;
    this.images += s.images;
    const now = Date.now();
    const rate = this.images / Math.max((now - this.start) / 1000, 1e-3);
    if (this.io.isTTY) {
      if (now - this.lastLine < 100 && s.step < s.steps) return;
      this.lastLine = now;
      const width = 24;
      const frac = (s.epoch - 1 + s.step / s.steps) / s.epochs;
      const fill = Math.round(frac * width);
      const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
      const line = `${this.phase.padEnd(22)} [${bar}] epoch ${s.epoch}/${s.epochs} step ${s.step}/${s.steps} loss ${fmtLoss(s.loss)} ${Math.round(rate)} img/s`;
      this.io.stderr(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (now - this.lastLine >= this.intervalMs) {
      this.lastLine = now;
      this.io.stderr(`${this.phase}: epoch ${s.epoch}/${s.epochs} step ${s.step}/${s.steps} loss ${fmtLoss(s.loss)} ${Math.round(rate)} img/s\n`);
    }
  }

  /** End of an epoch: a plain line with the validation accuracy (both modes). */
  epochDone(epoch: number, epochs: number, loss: number, valAcc: number, best: boolean): void {
    if (!this.enabled) return;
    const rate = this.images / Math.max((Date.now() - this.start) / 1000, 1e-3);
    const msg = `${this.phase}: epoch ${epoch}/${epochs} loss ${fmtLoss(loss)} val ${(100 * valAcc).toFixed(2)}%${best ? ' *' : ''} ${Math.round(rate)} img/s`;
    if (this.io.isTTY) {
      this.io.stderr(`\r${msg}\x1b[K\n`);
      this.drawn = false;
    } else this.io.stderr(`${msg}\n`);
    this.lastLine = Date.now();
  }

  /** A message between phases (clears a half-drawn bar first). */
  note(msg: string): void {
    if (!this.enabled) return;
    if (this.io.isTTY && this.drawn) this.io.stderr('\r\x1b[K');
    this.drawn = false;
    this.io.stderr(`${msg}\n`);
  }

  done(): void {
    if (this.enabled && this.io.isTTY && this.drawn) this.io.stderr('\r\x1b[K');
    this.drawn = false;
  }
}

function fmtLoss(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}
