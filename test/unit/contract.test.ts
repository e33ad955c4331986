// The contract: one route table with schemas, one registry per host that refuses unknown,
// duplicate and missing routes, and errors that cross the boundary as data.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  createRegistry,
  EVENT_NAMES,
  events,
  ROUTE_NAMES,
  route,
  routes,
  smoothRuns,
  smoothSeries,
} from '../../src/shared/contract';
import { runResultSchema } from '../../src/shared/results';
import { runnerEventSchema } from '../../src/shared/events';
import { mnistSmallRuns } from '../fixtures/mnist-small';

const table = {
  'a.echo': route({
    summary: 'echo',
    input: z.object({ text: z.string().min(1) }).strict(),
    output: z.string(),
  }),
  'a.desktop': route({
    summary: 'desktop only',
    input: z.object({}),
    output: z.null(),
    hosts: ['electron'],
  }),
};

describe('the contract registry', () => {
  it('serves a declared route with its input checked', async () => {
    const r = createRegistry(table, { 'a.echo': ({ text }) => text.toUpperCase() }, 'web');
    await expect(r.invoke('a.echo', { text: 'hi' })).resolves.toBe('HI');
    const bad = await r.invoke('a.echo', { text: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ContractError);
    expect((bad as ContractError).code).toBe('bad-input');
    expect((bad as ContractError).problems?.[0]?.path).toBe('text');
    const extra = await r.invoke('a.echo', { text: 'x', more: 1 }).catch((e: unknown) => e);
    expect((extra as ContractError).code).toBe('bad-input');
  });

  it('refuses unknown routes, handlers for undeclared routes and missing handlers', async () => {
    const r = createRegistry(table, { 'a.echo': ({ text }) => text }, 'web');
    const unknown = await r.invoke('a.nope', {}).catch((e: unknown) => e);
    expect((unknown as ContractError).code).toBe('unknown-route');
    // Inherited names are not routes.
    expect(((await r.invoke('toString', {}).catch((e: unknown) => e)) as ContractError).code).toBe(
      'unknown-route',
    );
    expect(() => createRegistry(table, { 'a.echo': () => '', 'a.typo': () => '' } as never, 'web')).toThrow(
      /undeclared route "a.typo"/,
    );
    expect(() => createRegistry(table, {}, 'web')).toThrow(/route "a.echo" has no handler on the web host/);
    // A route for another host needs no handler here, and says so when called.
    const unsupported = await r.invoke('a.desktop', {}).catch((e: unknown) => e);
    expect((unsupported as ContractError).code).toBe('unsupported');
    expect(() => createRegistry(table, { 'a.echo': () => '' }, 'electron')).toThrow(
      /"a.desktop" has no handler/,
    );
  });

  it('checks what a handler returns against the output schema, as an internal error by path', async () => {
    const wrong = { 'a.echo': () => 42 as unknown as string };
    const caught = await createRegistry(table, wrong, 'web', { checkOutputs: true })
      .invoke('a.echo', { text: 'x' })
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ContractError);
    expect((caught as ContractError).code).toBe('internal');
    expect((caught as ContractError).message).toMatch(/^a\.echo returned a wrong shape .*\(output\): /);
    // Off, the value goes through as the handler built it.
    await expect(
      createRegistry(table, wrong, 'web', { checkOutputs: false }).invoke('a.echo', { text: 'x' }),
    ).resolves.toBe(42);
    // Tests run with checking on by default (vitest sets NODE_ENV to "test").
    await expect(createRegistry(table, wrong, 'web').invoke('a.echo', { text: 'x' })).rejects.toThrow(
      /wrong shape/,
    );
  });

  it('names the path of a wrong field deep inside a real output', async () => {
    const runs = mnistSmallRuns().slice(0, 3);
    const table = { 'results.get': routes['results.get'] };
    const serve = (value: unknown) =>
      createRegistry(table, { 'results.get': () => value as never }, 'web', { checkOutputs: true }).invoke(
        'results.get',
        { experimentIds: ['e'] },
      );
    // Real recorded runs pass, returned as they were built.
    await expect(serve(runs)).resolves.toBe(runs);
    const broken = structuredClone(runs);
    (broken[1]!.epochs[4]!.val as { accuracy: unknown }).accuracy = '87%';
    delete (broken[2] as Partial<(typeof broken)[number]>).summary;
    const caught = (await serve(broken).catch((e: unknown) => e)) as ContractError;
    expect(caught.code).toBe('internal');
    expect(caught.problems?.map((p) => p.path)).toEqual(['1.epochs.4.val.accuracy', '2.summary']);
  });

  it('gives every record of a real experiment and every runner event shape a schema that accepts it', () => {
    const runs = mnistSmallRuns();
    expect(z.array(runResultSchema).safeParse(runs).success).toBe(true);
    for (const record of runs.flatMap((r) => r.epochs)) {
      expect(runnerEventSchema.safeParse(record).success).toBe(true);
    }
    // An accuracy is a fraction, never a percentage.
    const percent = { ...runs[0]!.epochs[0]!, val: { ...runs[0]!.epochs[0]!.val, accuracy: 87 } };
    expect(runnerEventSchema.safeParse(percent).success).toBe(false);
  });

  it('round-trips errors as plain data', () => {
    const e = new ContractError('bad', 'bad-input', [{ path: 'methods[0].lr', message: 'must be > 0' }]);
    const back = ContractError.fromBody(JSON.parse(JSON.stringify(e.toBody())));
    expect(back).toBeInstanceOf(ContractError);
    expect(back.problems).toEqual(e.problems);
    expect(back.code).toBe('bad-input');
  });
});

describe('the route and event tables', () => {
  it('declares every route once with schemas and a summary', () => {
    expect(new Set(ROUTE_NAMES).size).toBe(ROUTE_NAMES.length);
    for (const name of ROUTE_NAMES) {
      const def = routes[name];
      expect(def.summary.length, name).toBeGreaterThan(5);
      expect(def.input, name).toBeInstanceOf(z.ZodType);
      expect(def.output, name).toBeInstanceOf(z.ZodType);
    }
    expect(ROUTE_NAMES).toEqual(
      expect.arrayContaining([
        'experiments.list',
        'experiments.submit',
        'queue.list',
        'queue.cancel',
        'queue.retry',
        'queue.move',
        'queue.pause',
        'queue.resume',
        'queue.setConcurrency',
        'runs.get',
        'results.get',
        'export.table',
        'export.figure',
        'datasets.list',
        'datasets.preview',
        'system.info',
      ]),
    );
    expect(EVENT_NAMES).toEqual([
      'runner',
      'queue.changed',
      'executor.changed',
      'datasets.changed',
      'datasets.importProgress',
      'app.command',
    ]);
    expect(events['queue.changed'].payload.safeParse({ reason: 'x' }).success).toBe(true);
  });

  it('fills the export defaults and refuses what the export service cannot do', () => {
    const table = routes['export.table'].input.parse({ experimentIds: ['e'], format: 'latex' });
    expect(table.options).toEqual({ stat: 'best', norm: 'mean', test: 'welch' });
    expect(routes['export.table'].input.safeParse({ experimentIds: ['e'], format: 'docx' }).success).toBe(
      false,
    );
    expect(
      routes['export.figure'].input.safeParse({ experimentIds: ['e'], kind: 'pie', format: 'svg' }).success,
    ).toBe(false);
    expect(routes['queue.setConcurrency'].input.safeParse({ value: 0 }).success).toBe(false);
    expect(routes['queue.setConcurrency'].input.safeParse({ value: null }).success).toBe(true);
  });
});

describe('curve smoothing', () => {
  it('leaves curves alone at 0 and debiases the first values', () => {
    expect(smoothSeries([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smoothSeries([1, 1, 1], 0.9);
    for (const v of s) expect(v).toBeCloseTo(1, 12);
    const t = smoothSeries([0, 1], 0.5);
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo((0.5 * 0.5 * 0 + 0.5 * 1) / 0.75, 12);
  });

  it('smooths the plotted quantities of runs, not their counters', () => {
    const runs = mnistSmallRuns().slice(0, 2);
    const smoothed = smoothRuns(runs, 0.6);
    expect(smoothed[0]!.epochs.map((e) => e.counters)).toEqual(runs[0]!.epochs.map((e) => e.counters));
    expect(smoothed[0]!.epochs[0]!.val.accuracy).toBeCloseTo(runs[0]!.epochs[0]!.val.accuracy, 12);
    expect(smoothed[0]!.epochs.at(-1)!.val.accuracy).not.toBe(runs[0]!.epochs.at(-1)!.val.accuracy);
  });
});
