// Golden numbers: the exact values the loop and the random streams give today, so that a change
// which silently alters a run (an op reordered, a stream drawn once more, a default changed) fails
// here even when every property test still holds. Made by running these very calls on the cpu
// backend (tfjs-backend-cpu 4.22) and pasting what they printed; a deliberate change of the
// numbers updates them in the same commit, with the reason in its message.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';
import { trainRun } from '../../src/main/trainer/loop';
import type { EpochRecord } from '../../src/shared/records';
import { syntheticData, tinySpec, useCpu } from '../helpers/tiny-training';

beforeAll(useCpu);

/** uniform(), uniform(), normal() of each named stream for seed 1. */
const STREAMS: Record<string, [number, number, number]> = {
  init: [0.5389204890894328, 0.831830312936107, -0.19062129667325178],
  shuffle: [0.7800372267778493, 0.007566788763192389, 0.0929440585902399],
  estimate: [0.3635333425971974, 0.9632836764822542, 0.5184597132235633],
  'ssa-moves': [0.8875282368632692, 0.9238435923213982, 0.763154074037178],
  metropolis: [0.10603612032203802, 0.4346246518210919, -0.2827149987516365],
  'sgd-sa-lr': [0.7776739691192788, 0.4297383361778381, 1.524049851415942],
  augment: [0.8465680920626562, 0.20956053630028693, 0.5629867149237606],
  dropout: [0.5391142184610163, 0.5268038876110634, 1.2742775019465995],
};

/** One epoch of the tiny synthetic MLP run (tiny-training.ts), seed 1: val, train estimate, moves, restarts. */
const RUNS: [unknown, unknown][] = [
  [
    { id: 'sgd' },
    {
      val: { loss: 1.3355965614318848, accuracy: 0.34375, lossThesis: 0.0417373925447464 },
      train: { loss: 1.2864673137664795, accuracy: 0.46875 },
      moves: null,
      restarts: null,
    },
  ],
  [
    { id: 'restart', restartEpsilon: 0.05 },
    {
      val: { loss: 1.3939998149871826, accuracy: 0.25, lossThesis: 0.04356249421834946 },
      train: { loss: 1.3975448608398438, accuracy: 0.234375 },
      moves: null,
      restarts: 1,
    },
  ],
  [
    { id: 'ssa' },
    {
      val: { loss: 1.353856086730957, accuracy: 0.296875, lossThesis: 0.04230800271034241 },
      train: { loss: 1.3968912363052368, accuracy: 0.28125 },
      moves: { better: 4, acceptedWorse: 0, rejectedWorse: 0 },
      restarts: null,
    },
  ],
  [
    { id: 'sgd-sa' },
    {
      val: { loss: 1.3608179092407227, accuracy: 0.3125, lossThesis: 0.04252555966377258 },
      train: { loss: 1.3438857793807983, accuracy: 0.375 },
      moves: { better: 4, acceptedWorse: 0, rejectedWorse: 0 },
      restarts: null,
    },
  ],
  [
    { id: 'ssa', lossScale: 'mean' },
    {
      val: { loss: 1.353856086730957, accuracy: 0.296875, lossThesis: 0.04230800271034241 },
      train: { loss: 1.3968912363052368, accuracy: 0.28125 },
      moves: { better: 4, acceptedWorse: 0, rejectedWorse: 0 },
      restarts: null,
    },
  ],
  [
    { id: 'sgd-sa', lossScale: 'mean' },
    {
      val: { loss: 1.3608179092407227, accuracy: 0.3125, lossThesis: 0.04252555966377258 },
      train: { loss: 1.3438857793807983, accuracy: 0.375 },
      moves: { better: 4, acceptedWorse: 0, rejectedWorse: 0 },
      restarts: null,
    },
  ],
];

describe('golden numbers', () => {
  it('the first draws of every named random stream of seed 1', () => {
    for (const [name, expected] of Object.entries(STREAMS)) {
      const r = Rng.fromSeed(1, name);
      expect([r.uniform(), r.uniform(), r.normal()], name).toEqual(expected);
    }
  });

  for (const [method, expected] of RUNS) {
    it(`one epoch of ${JSON.stringify(method)} on the tiny MLP, seed 1, cpu: exact losses and counts`, async () => {
      const spec = tinySpec([method], { epochs: 1 });
      const data = syntheticData();
      const records: EpochRecord[] = [];
      const outcome = await trainRun(
        { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 1 },
        data,
        { onEpoch: (r) => void records.push(r) },
      );
      tf.dispose(outcome.bestWeights!);
      tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
      const r = records[0]!;
      expect({ val: r.val, train: r.train, moves: r.moves, restarts: r.restarts }).toEqual(expected);
    });
  }
});
