// `annealab run`'s progress names a wasm run's threads as it starts, and nothing where the
// threads were not used (another backend) or not recorded (a trainer from before the setting).
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/main/cli/progress';
import type { RunEnvironment } from '../../src/shared/records';

const environment: RunEnvironment = {
  backend: 'wasm',
  backendReason: 'r',
  device: 'd',
  versions: { annealab: 'a', node: 'n', tfjs: 't', backend: 'b' },
  os: 'o',
  cpu: 'c',
};

function startedLine(env: RunEnvironment): string {
  let text = '';
  const out = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  new ProgressView(out, 1, false).handle({
    type: 'run-started',
    experimentId: 'e',
    runId: 'r',
    method: 'sgd',
    label: 'SGD',
    model: 'mlp',
    seed: 1,
    environment: env,
    trainCount: 10,
    testCount: 5,
    notes: [],
    resumedFromEpoch: null,
  });
  return text.split('\n').find((l) => l.includes('started'))!;
}

describe('the started line', () => {
  it('names the threads a wasm run uses', () => {
    expect(startedLine({ ...environment, threads: { count: 2, reason: 'x' } })).toContain(
      'on wasm, 2 threads (10 train / 5 test)',
    );
    expect(startedLine({ ...environment, threads: { count: 1, reason: 'x' } })).toContain(
      'on wasm, 1 thread (',
    );
  });

  it('names none where they were not used or not recorded', () => {
    const tf = { ...environment, backend: 'tensorflow', threads: { count: null, reason: 'not used' } };
    expect(startedLine(tf)).toContain('on tensorflow (10 train');
    expect(startedLine(environment)).toContain('on wasm (10 train');
  });
});
