// Ctrl-C for the commands that execute the queue (`run`, `queue resume`). The trainers are in
// their own process groups (trainer-process.ts), so a terminal's SIGINT reaches this host alone:
// once, the running runs stop after their minibatch and stay *interrupted* with their last
// checkpoint (`annealab queue resume` continues them); twice, the host quits at once, the runs
// still interrupted, never failed. Either way the command exits 1 (README).
import type { QueueRunner } from '../services/queue';

export interface CtrlC {
  /** Ctrl-C was pressed: the command stops waiting for its runs once its trainers have exited. */
  readonly pressed: boolean;
  /** The runner that executes the queue, once there is one (Ctrl-C before that quits at once). */
  attach(runner: QueueRunner | null): void;
  dispose(): void;
}

export function handleCtrlC(say: (line: string) => void, onFirst?: () => void): CtrlC {
  let pressed = 0;
  let runner: QueueRunner | null = null;
  const stop = () => void runner?.stop({ cancel: true, interrupt: true });
  const onSigint = () => {
    pressed++;
    if (pressed === 1) {
      say(
        runner
          ? '\nstopping: running runs stop after their current minibatch and stay interrupted with their ' +
              'checkpoints; `annealab queue resume` continues them (Ctrl-C again to quit now)'
          : '\nstopping (Ctrl-C again to quit now)',
      );
      stop();
      onFirst?.();
      return;
    }
    runner?.stopNow();
    say(
      '\nquit: running runs are interrupted at their last checkpoint (annealab queue resume continues them)',
    );
    process.exit(1);
  };
  process.on('SIGINT', onSigint);
  return {
    get pressed() {
      return pressed > 0;
    },
    attach(r) {
      runner = r;
      if (pressed > 0) stop();
    },
    dispose: () => {
      process.off('SIGINT', onSigint);
      // The command is ending after a Ctrl-C (exit 1): one more Ctrl-C while it shuts down quits
      // with that exit status, not with the default SIGINT death (the runs are interrupted already).
      if (pressed > 0) process.once('SIGINT', () => process.exit(1));
    },
  };
}
