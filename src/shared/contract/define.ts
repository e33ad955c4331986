// How the contract is declared: a route is a name with an input schema and an output schema,
// an event is a name with a payload schema. Hosts serve routes through one registry that
// refuses unknown names and duplicate or missing handlers; clients call them by name.
import type { z } from 'zod';

export interface RouteDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** What the route does, for the README and error messages. */
  summary: string;
  /** Hosts that serve it; every host when absent (native dialogs exist only in Electron). */
  hosts?: readonly HostKind[];
}

export type HostKind = 'web' | 'electron';

export type RouteTable = Record<string, RouteDef>;
export type EventTable = Record<string, { payload: z.ZodType; summary: string }>;

export const route = <I extends z.ZodType, O extends z.ZodType>(def: RouteDef<I, O>): RouteDef<I, O> => def;

export type RouteInput<T extends RouteTable, K extends keyof T> = z.input<T[K]['input']>;
export type RouteOutput<T extends RouteTable, K extends keyof T> = z.output<T[K]['output']>;
export type EventPayload<T extends EventTable, K extends keyof T> = z.output<T[K]['payload']>;

/** A failure a route reports to the client: a message for a person, problems by path when it has them. */
export interface ContractErrorBody {
  message: string;
  code: 'bad-input' | 'unknown-route' | 'not-found' | 'conflict' | 'unsupported' | 'internal';
  problems?: { path: string; message: string }[];
}

export class ContractError extends Error {
  constructor(
    message: string,
    readonly code: ContractErrorBody['code'] = 'conflict',
    readonly problems?: ContractErrorBody['problems'],
    /** The error it reports (`cause`), for hosts that tell kinds of refusal apart. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ContractError';
  }

  toBody(): ContractErrorBody {
    return { message: this.message, code: this.code, ...(this.problems ? { problems: this.problems } : {}) };
  }

  static fromBody(body: ContractErrorBody): ContractError {
    return new ContractError(body.message, body.code, body.problems);
  }
}

export type Handlers<T extends RouteTable> = {
  [K in keyof T]: (input: z.output<T[K]['input']>) => RouteOutput<T, K> | Promise<RouteOutput<T, K>>;
};

export interface RegistryOptions {
  /**
   * Check what each handler returns against its route's output schema, so that a handler that
   * builds a wrong shape fails there (a test, a development host) instead of in the renderer.
   * Parsing costs about 7 µs per epoch record (a `results.get` of 6,300 records took 45 ms on a
   * busy 2-core machine), and streamed events (the epochs as they train) never pass through here.
   */
  checkOutputs?: boolean;
}

/**
 * Whether outputs are checked when a host does not say: in tests and development
 * (NODE_ENV "test" or "development", which vitest and electron-vite's dev mode set), or when
 * ANNEALAB_CHECK_OUTPUTS=1; never with ANNEALAB_CHECK_OUTPUTS=0. Off for users, whose stores
 * may hold what an older version wrote: a drift there is for the tests to find, not for the UI
 * to refuse.
 */
export function checkOutputsByDefault(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  if (env.ANNEALAB_CHECK_OUTPUTS === '0') return false;
  return env.ANNEALAB_CHECK_OUTPUTS === '1' || env.NODE_ENV === 'test' || env.NODE_ENV === 'development';
}

export interface Registry {
  names(): string[];
  has(name: string): boolean;
  /** Validate the input against the route's schema, run its handler; throws ContractError. */
  invoke(name: string, input: unknown): Promise<unknown>;
}

/**
 * One registry per host. Every route of the table needs exactly one handler; a handler for a
 * name the table does not declare is an error (a typo would otherwise be a dead route).
 */
export function createRegistry<T extends RouteTable>(
  table: T,
  handlers: Partial<Handlers<T>>,
  host: HostKind,
  options: RegistryOptions = {},
): Registry {
  const checkOutputs = options.checkOutputs ?? checkOutputsByDefault();
  const byName = new Map<string, (input: unknown) => unknown>();
  for (const name of Object.keys(handlers)) {
    if (!(name in table)) throw new Error(`handler for an undeclared route "${name}"`);
    if (byName.has(name)) throw new Error(`duplicate handler for route "${name}"`);
    byName.set(name, handlers[name] as (input: unknown) => unknown);
  }
  for (const [name, def] of Object.entries(table)) {
    const served = !def.hosts || def.hosts.includes(host);
    if (served && !byName.has(name)) throw new Error(`route "${name}" has no handler on the ${host} host`);
  }
  return {
    names: () => [...byName.keys()],
    has: (name) => byName.has(name),
    async invoke(name, input) {
      const handler = byName.get(name);
      const def = Object.hasOwn(table, name) ? table[name] : undefined;
      if (!def) throw new ContractError(`unknown route "${name}"`, 'unknown-route');
      if (!handler) throw new ContractError(`"${name}" is not available in the ${host} host`, 'unsupported');
      const parsed = def.input.safeParse(input ?? {});
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => ({
          path: i.path.map(String).join('.') || '(input)',
          message: i.message,
        }));
        throw new ContractError(
          `bad input for ${name}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
          'bad-input',
          problems,
        );
      }
      const output = await handler(parsed.data);
      if (checkOutputs) assertOutput(name, def.output, output);
      return output;
    },
  };
}

/**
 * A handler's result that does not match its route's output schema is a bug of the host, not
 * of the caller: reported as `internal`, with every mismatch by its path in the output. The
 * value returned is the handler's own (the check does not strip or fill in anything).
 */
function assertOutput(name: string, schema: z.ZodType, output: unknown): void {
  const checked = schema.safeParse(output);
  if (checked.success) return;
  const problems = checked.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(output)',
    message: i.message,
  }));
  throw new ContractError(
    `${name} returned a wrong shape (a bug in the host, not in the request): ${problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    'internal',
    problems,
  );
}

/** Name checks for the event side: a host may emit only declared events. */
export function assertEventName(table: EventTable, name: string): void {
  if (!Object.hasOwn(table, name)) throw new Error(`undeclared event "${name}"`);
}
