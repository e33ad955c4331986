// How the contract is declared: a route is a name with an input schema and an output schema,
// an event is a name with a payload schema. Hosts serve routes through one registry that
// refuses unknown names and duplicate or missing handlers; clients call them by name.
import { z } from 'zod';

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

/**
 * An output the host builds from its own store: typed for the client, not re-validated (the
 * boundary that needs checking is the input, which comes from the UI or over HTTP).
 */
export const typed = <T>() => z.custom<T>(() => true);

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
): Registry {
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
      return handler(parsed.data);
    },
  };
}

/** Name checks for the event side: a host may emit only declared events. */
export function assertEventName(table: EventTable, name: string): void {
  if (!Object.hasOwn(table, name)) throw new Error(`undeclared event "${name}"`);
}
