// One method's minibatch step on a real network, timed against the passes it needs, for
// profiling with `node --cpu-prof` (JavaScript time) and tf.profile (kernel time). Not part of
// the test suite; `annealab bench` is the benchmark.
//
//   npx tsx bench/profile-methods.ts --model mlp --method sgd [--steps 200] [--kernels]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { Rng } from '../src/shared/rng';
import { validateSpec } from '../src/shared/spec';
import type { ModelId } from '../src/shared/ids';
import { initBackend } from '../src/main/trainer/backend/select';
import { uploadSplit, gatherBatch } from '../src/main/trainer/data/batches';
import { createMethod } from '../src/main/trainer/methods';
import { buildNetwork, initialValues } from '../src/main/trainer/models';
import { crossEntropy } from '../src/main/trainer/objective';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    method: { type: 'string', default: 'sgd' },
    backend: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '200' },
    kernels: { type: 'boolean', default: false },
  },
});
await initBackend(values.backend as 'wasm');
const batchSize = Number(values.batch);
const input = { height: 28, width: 28, channels: 1 };
const net = buildNetwork(values.model as ModelId, input, 10);
const rng = Rng.fromSeed(1, 'bench');
const count = batchSize * 4;
const split = uploadSplit(
  rng.fillNormal(new Float32Array(count * 784), 1),
  Uint8Array.from({ length: count }, (_, i) => i % 10),
  input,
  10,
);
const batch = gatherBatch(
  split,
  Int32Array.from({ length: batchSize }, (_, i) => i),
);
const params = tf.tidy(() =>
  initialValues(net.params, rng, 'pytorch').map((v, i) => tf.variable(tf.tensor(v, net.params[i]!.shape))),
);
const specs = validateSpec({
  name: 'p',
  dataset: { id: 'p' },
  models: [values.model],
  methods: [{ id: values.method, ...(values.method === 'restart' ? { restartEpsilon: 1e-12 } : {}) }],
  batchSize,
});
if (!specs.ok) throw new Error(JSON.stringify(specs.problems));
const method = createMethod(
  {
    net,
    params,
    counters: { forward: 0, backward: 0, updates: 0 },
    rng: (name) => Rng.fromSeed(1, name),
    reinitialize: () => undefined,
    estimateTrain: () => ({ loss: 1, accuracy: 0, lossThesis: 1 / 64 }),
  },
  specs.spec.methods[0]!,
);
method.beginEpoch(1);
// The passes the method needs, on weights no pass has seen (as in worker.ts), CPU time only:
// this is for profiling on a busy machine, where wall time mostly measures the neighbours.
const forwardPass = (ws: readonly tf.Tensor[]) => crossEntropy(net.apply(ws, batch.x, true), batch.y);
const backwardPass = (ws: readonly tf.Tensor[]) =>
  tf.valueAndGrads((...v: tf.Tensor[]) => crossEntropy(net.apply(v, batch.x, true), batch.y))([...ws]);
const [fresh, passes]: [number, (sets: tf.Tensor[][]) => void] =
  values.method === 'ssa'
    ? [
        2,
        ([a, b]) =>
          tf.tidy(() => tf.stack([forwardPass(params), forwardPass(a!), forwardPass(b!)]).dataSync()),
      ]
    : values.method === 'sgd-sa'
      ? [1, ([a]) => tf.tidy(() => tf.stack([backwardPass(params).value, forwardPass(a!)]).dataSync())]
      : [1, ([a]) => tf.tidy(() => void backwardPass(a!))];
let step = 0;
const methodStep = () => method.step(batch, ++step);
const steps = Number(values.steps);
const cpuMs = (f: () => void, n: number) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
};
const passesMs = (n: number) => {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sets = Array.from({ length: fresh }, () => params.map((p) => tf.add(p, 0)));
    total += cpuMs(() => passes(sets), 1);
    tf.dispose(sets.flat());
  }
  return total / n;
};
for (let i = 0; i < 10; i++) methodStep();
passesMs(10);
const tensors = tf.memory().numTensors;
const ratios: number[] = [];
for (let r = 0; r < 7; r++) {
  const m = cpuMs(methodStep, steps);
  const p = passesMs(steps);
  ratios.push(m / p);
  console.log(
    `${values.method} ${m.toFixed(3)} ms, passes ${p.toFixed(3)} ms: ${((100 * (m - p)) / p).toFixed(1)} % (cpu)`,
  );
}
ratios.sort((a, b) => a - b);
console.log(`median overhead ${(100 * (ratios[3]! - 1)).toFixed(1)} %`);
if (tf.memory().numTensors !== tensors) console.log(`leaked ${tf.memory().numTensors - tensors} tensors`);
if (values.kernels) {
  for (const [label, f] of [
    ['method', methodStep],
    ['passes', () => passesMs(1)],
  ] as const) {
    const info = await tf.profile(f);
    const by = new Map<string, [number, number]>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? [0, 0];
      by.set(k.name, [e[0] + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), e[1] + 1]);
    }
    console.log(`${label}: ${info.kernels.length} kernels`);
    for (const [n, [ms, c]] of [...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 10))
      console.log(`  ${n.padEnd(22)} ${ms.toFixed(3)} ms ×${c}`);
  }
}
