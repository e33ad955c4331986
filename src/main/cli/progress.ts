// Live progress of `annealab run` on a terminal: one line per active run plus an overall
// line, redrawn in place. Off a terminal, one plain line per finished epoch or run instead.
import type { RunnerEvent } from '../../shared/events';
import { fmtDuration } from './format';

interface ActiveRun {
  title: string;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  startedAt: number;
  lastVal: string;
}

const bar = (fraction: number, width = 20) => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
};

export class ProgressView {
  private readonly active = new Map<string, ActiveRun>();
  private drawnLines = 0;
  private lastDraw = 0;
  private done = 0;
  private readonly started = performance.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly totalRuns: number,
    private readonly live: boolean,
  ) {}

  handle(event: RunnerEvent): void {
    switch (event.type) {
      case 'run-started': {
        const title = `${event.label} · ${event.model} · seed ${event.seed}`;
        this.active.set(event.runId, {
          title,
          epoch: 1,
          epochs: 0,
          step: 0,
          steps: 0,
          startedAt: performance.now(),
          lastVal: '',
        });
        // A followed run (another process executes it) knows no sizes: its trainer told them to
        // that process alone, so they read 0 here and are left out rather than printed as 0.
        const sizes =
          event.trainCount > 0 || event.testCount > 0
            ? ` (${event.trainCount} train / ${event.testCount} test)`
            : '';
        const t = event.environment.threads?.count;
        const threads = t ? `, ${t} thread${t === 1 ? '' : 's'}` : '';
        this.print(`started  ${title} on ${event.environment.backend}${threads}${sizes}`);
        for (const note of event.notes) this.print(`  note: ${note}`);
        break;
      }
      case 'log':
        this.print(`  ${event.label} · ${event.model} · seed ${event.seed}: ${event.message}`);
        break;
      case 'progress': {
        const a = this.active.get(event.runId);
        if (a)
          Object.assign(a, {
            epoch: event.epoch,
            epochs: event.epochs,
            step: event.step,
            steps: event.steps,
          });
        this.draw();
        break;
      }
      case 'epoch': {
        const a = this.active.get(event.runId);
        const val = `val ${(event.val.accuracy * 100).toFixed(2)}% loss ${event.val.loss.toFixed(4)}`;
        if (a) a.lastVal = val;
        if (!this.live)
          this.print(`epoch ${event.epoch}  ${event.label} · ${event.model} · seed ${event.seed}  ${val}`);
        else this.draw();
        break;
      }
      case 'run-finished':
      case 'run-failed':
      case 'run-cancelled': {
        this.done++;
        const a = this.active.get(event.runId);
        this.active.delete(event.runId);
        const title = a?.title ?? `${event.label} · ${event.model} · seed ${event.seed}`;
        if (event.type === 'run-finished') {
          const s = event.summary;
          this.print(
            `finished ${title}: best val ${((s.bestValAccuracy ?? NaN) * 100).toFixed(2)}% (epoch ${s.bestEpoch}), ${fmtDuration(s.seconds)}`,
          );
        } else if (event.type === 'run-failed') this.print(`FAILED   ${title}: ${event.reason}`);
        else this.print(`cancelled ${title}`);
        break;
      }
      case 'experiment-finished':
        this.clear();
        break;
    }
  }

  /** A line that stays, printed above the live block. */
  private print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw(true);
  }

  private clear(): void {
    if (!this.live || this.drawnLines === 0) return;
    this.out.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(force = false): void {
    if (!this.live) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.clear();
    const lines: string[] = [];
    const cols = this.out.columns ?? 120;
    for (const a of this.active.values()) {
      const total = a.epochs * a.steps;
      const doneSteps = (a.epoch - 1) * a.steps + a.step;
      const frac = total > 0 ? doneSteps / total : 0;
      const elapsed = (now - a.startedAt) / 1000;
      const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : NaN;
      lines.push(
        `${bar(frac)} epoch ${a.epoch}/${a.epochs || '?'} step ${a.step}/${a.steps || '?'}  ETA ${fmtDuration(eta)}  ${a.title}  ${a.lastVal}`.slice(
          0,
          cols - 1,
        ),
      );
    }
    lines.push(
      `runs ${this.done}/${this.totalRuns} done · ${this.active.size} running · elapsed ${fmtDuration((now - this.started) / 1000)}`,
    );
    this.out.write(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}
