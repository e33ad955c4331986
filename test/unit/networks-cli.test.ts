// `annealab models list` and `annealab models show`: driven through commander, output captured.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseInputShape, registerModelCommands } from '../../src/main/cli/commands/models';
import { UserError } from '../../src/main/cli/errors';

async function cli(...args: string[]): Promise<string> {
  const program = new Command('annealab').exitOverride();
  registerModelCommands(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  await program.parseAsync(['node', 'annealab', ...args]);
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('annealab models', () => {
  it('lists every model id with its parameter count for 32×32×3 and 10 classes', async () => {
    const text = await cli('models', 'list');
    expect(text).toMatch(/^alexnet +2,472,266 +reduced AlexNet/m);
    expect(text).toMatch(/^resnet34 +21,282,122 +yes +ResNet34/m);
    const rows = JSON.parse(await cli('models', 'list', '--json')) as { id: string; parameters: number }[];
    expect(rows.map((r) => r.id)).toContain('vgg16-bn');
    expect(rows.find((r) => r.id === 'squeezenet')).toMatchObject({ parameters: 740_554, dropout: true });
  });

  it('shows the layers, output shapes and parameters of one network for a given input', async () => {
    const text = await cli('models', 'show', 'vgg16', '--input', '28x28x1', '--classes', '10');
    expect(text).toMatch(/^vgg16 on 28×28×1, 10 classes: 14,718,666 parameters\n/);
    expect(text).toMatch(/^classifier +Linear +10 +5,130$/m);
    // 28 → 14 → 7 → 3 → 1: the fifth max-pool is dropped.
    expect(text.match(/MaxPool/g)).toHaveLength(4);
    const json = JSON.parse(await cli('models', 'show', 'resnet18', '--json'));
    expect(json).toMatchObject({
      id: 'resnet18',
      input: { height: 32, width: 32, channels: 3 },
      parameters: 11_173_962,
      buffers: { tensors: 40, values: 9600 },
    });
    expect(json.layers[0]).toEqual({
      name: 'conv1',
      op: 'Conv2d 3×3/1, pad 1, no bias',
      output: [32, 32, 64],
      params: 1728,
    });
  });

  it('says what is wrong with an id, an input shape or an input too small', async () => {
    await expect(cli('models', 'show', 'resnet50')).rejects.toThrow(UserError);
    await expect(cli('models', 'show', 'resnet50')).rejects.toThrow(/expected one of mlp, lenet5/);
    await expect(cli('models', 'show', 'squeezenet', '--input', '4x4x3')).rejects.toThrow(/too small/);
    expect(parseInputShape('32×32×3')).toEqual({ height: 32, width: 32, channels: 3 });
    expect(() => parseInputShape('28x28')).toThrow(/height×width×channels/);
    expect(() => parseInputShape('0x8x1')).toThrow(/whole numbers/);
  });
});
