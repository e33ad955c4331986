// `annealab models list` and `annealab models show ID`: the networks a spec can name, and one
// network's layers with their output shapes and parameter counts for a given input and class count.
import { InvalidArgumentError, type Command } from 'commander';
import { MODEL_IDS, type ModelId } from '../../../shared/ids';
import type { InputShape, Network } from '../../trainer/models';
import { UserError } from '../errors';

const DEFAULT_INPUT: InputShape = { height: 32, width: 32, channels: 3 };
const DEFAULT_CLASSES = 10;

/** "32x32x3" (or with ×) as height × width × channels. */
export function parseInputShape(text: string): InputShape {
  const parts = text.trim().split(/[x×]/i);
  const numbers = parts.map(Number);
  if (parts.length !== 3 || numbers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('must be height×width×channels in whole numbers, e.g. 32x32x3 or 28x28x1');
  }
  const [height, width, channels] = numbers as [number, number, number];
  return { height, width, channels };
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

const count = (n: number) => n.toLocaleString('en-US');
const shape = (s: readonly number[]) => s.join('×');

async function build(id: string, input: InputShape, classes: number): Promise<Network> {
  if (!(MODEL_IDS as readonly string[]).includes(id)) {
    throw new UserError(`unknown model "${id}"; expected one of ${MODEL_IDS.join(', ')}`);
  }
  // Loaded on use: the model definitions bring TensorFlow.js, which other commands do not need.
  const { buildNetwork } = await import('../../trainer/models');
  try {
    return buildNetwork(id as ModelId, input, classes);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

export interface ModelSummary {
  id: string;
  description: string;
  input: InputShape;
  numClasses: number;
  parameters: number;
  /** Batch-norm running statistics: tensors and values (not trained, not counted as parameters). */
  buffers: { tensors: number; values: number };
  dropout: boolean;
  layers: Network['layers'];
}

export async function modelSummary(id: string, input: InputShape, classes: number): Promise<ModelSummary> {
  const net = await build(id, input, classes);
  const { MODELS, parameterCount } = await import('../../trainer/models');
  return {
    id,
    description: MODELS[id as ModelId].description,
    input,
    numClasses: classes,
    parameters: parameterCount(net),
    buffers: {
      tensors: net.buffers.length,
      values: net.buffers.reduce((n, b) => n + b.shape.reduce((a, c) => a * c, 1), 0),
    },
    dropout: net.hasDropout,
    layers: net.layers,
  };
}

function table(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderSummary(s: ModelSummary): string {
  const bn = s.buffers.tensors
    ? `, batch-norm (${s.buffers.tensors} running-statistics tensors, ${count(s.buffers.values)} values)`
    : '';
  const head =
    `${s.id} on ${shape([s.input.height, s.input.width, s.input.channels])}, ${s.numClasses} classes: ` +
    `${count(s.parameters)} parameters${bn}${s.dropout ? ', dropout' : ''}\n${s.description}\n\n`;
  const rows = [
    ['layer', 'operation', 'output', 'parameters'],
    ...s.layers.map((l) => [l.name, l.op, shape(l.output), count(l.params)]),
  ];
  return `${head}${table(rows, new Set([3]))}\n`;
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the networks a spec can name');

  models
    .command('list')
    .description('model ids, with parameter counts for 32×32×3 images and 10 classes')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const all = await Promise.all(MODEL_IDS.map((id) => modelSummary(id, DEFAULT_INPUT, DEFAULT_CLASSES)));
      if (o.json) {
        const rows = all.map(({ id, description, parameters, buffers, dropout }) => ({
          id,
          description,
          parameters,
          batchNorm: buffers.tensors > 0,
          dropout,
        }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      const rows = [
        ['id', 'parameters', 'batch-norm', 'description'],
        ...all.map((s) => [s.id, count(s.parameters), s.buffers.tensors ? 'yes' : '', s.description]),
      ];
      process.stdout.write(`${table(rows, new Set([1]))}\n(parameters for 32×32×3 input and 10 classes)\n`);
    });

  models
    .command('show')
    .description('layers, output shapes and parameters of one network')
    .argument('<id>', `model id: ${MODEL_IDS.join(', ')}`)
    .option('--input <HxWxC>', 'input image shape', parseInputShape, DEFAULT_INPUT)
    .option('--classes <n>', 'number of classes', positiveInt, DEFAULT_CLASSES)
    .option('--json', 'as JSON')
    .action(async (id: string, o: { input: InputShape; classes: number; json?: boolean }) => {
      const s = await modelSummary(id, o.input, o.classes);
      process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : renderSummary(s));
    });
}
