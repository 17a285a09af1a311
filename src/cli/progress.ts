/**
 * Progress of a training phase: a one-line bar redrawn in place on a TTY (phase, epoch, step,
 * loss, images/s), or plain lines every few seconds (and at every epoch's end) otherwise. On a TTY
 * every line fits the terminal's width (`Io.columns`), condensed as the width shrinks, so that a
 * redraw never wraps onto a new line.
 */

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal (progress bar) or not (plain periodic lines). */
  isTTY: boolean;
  /** The terminal's width (process.stderr.columns), read at each redraw; 80 when unknown. */
  readonly columns?: number;
}

/** The widest line for a terminal of `columns`: one less, so the cursor never reaches the last column. */
function lineWidth(io: Io): number {
  const c = io.columns;
  return Math.max(20, (typeof c === 'number' && c > 0 ? c : 80) - 1);
}

/** `s` cut to `width` characters, an ellipsis marking the cut. */
export function fitWidth(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

const BAR = 24;
const PHASE = 22;
const MIN_BAR = 6;

/**
 * One progress line of at most `width` characters. From the widest form down: the bar shrinks, the
 * fields take their short form (`e3/10 120/468 0.1234 950/s`), the bar goes, the phase is cut.
 */
export function progressLine(phase: string, s: ProgressState, rate: number, width: number): string {
  const loss = fmtLoss(s.loss);
  const r = Math.round(rate);
  const forms = [
    `epoch ${s.epoch}/${s.epochs} step ${s.step}/${s.steps} loss ${loss} ${r} img/s`,
    `e${s.epoch}/${s.epochs} ${s.step}/${s.steps} ${loss} ${r}/s`,
  ];
  const frac = s.steps > 0 && s.epochs > 0 ? Math.min(1, Math.max(0, (s.epoch - 1 + s.step / s.steps) / s.epochs)) : 0;
  const bar = (n: number) => {
    const fill = Math.round(frac * n);
    return `[${'#'.repeat(fill)}${'-'.repeat(n - fill)}]`;
  };
  for (const info of forms) {
    const room = width - info.length - 4; // two spaces and the brackets
    // The whole phase when it fits beside a full bar, else its first PHASE characters.
    const name = fitWidth(phase, Math.max(PHASE, room - BAR));
    const padded = name.padEnd(Math.min(PHASE, Math.max(name.length, room - BAR)));
    const n = Math.min(BAR, room - padded.length);
    if (n >= MIN_BAR) return `${padded} ${bar(n)} ${info}`;
  }
  const info = forms[forms.length - 1];
  return fitWidth(`${fitWidth(phase, Math.max(1, width - info.length - 1))} ${info}`, width);
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
      this.io.stderr(`\r${progressLine(this.phase, s, rate, lineWidth(this.io))}\x1b[K`);
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
      this.io.stderr(`\r${fitWidth(msg, lineWidth(this.io))}\x1b[K\n`);
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
