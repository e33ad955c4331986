// Every route every host serves, by domain. A service's refusal that is not a ContractError yet
// (the store's: "run … is finished: only queued or running runs can be cancelled") becomes one
// here; anything else is a bug and reaches the client as `internal`, from the host's transport.
import { ContractError } from '../../../shared/contract';
import { StoreRefusal } from '../../store';
import type { AppHandlers, RouteContext } from './context';
import { datasetRoutes } from './datasets';
import { experimentRoutes } from './experiments';
import { exportRoutes } from './exports';
import { queueRoutes } from './queue';
import { systemRoutes } from './system';

export type { AppHandlers, RouteContext } from './context';

export function asContractRefusal(err: unknown): unknown {
  return err instanceof StoreRefusal
    ? new ContractError(err.message, err.kind, undefined, { cause: err })
    : err;
}

export function buildRoutes(ctx: RouteContext): AppHandlers {
  const handlers: AppHandlers = {
    ...systemRoutes(ctx),
    ...experimentRoutes(ctx),
    ...queueRoutes(ctx),
    ...exportRoutes(ctx),
    ...datasetRoutes(ctx),
  };
  for (const [name, handler] of Object.entries(handlers)) {
    (handlers as Record<string, unknown>)[name] = async (input: unknown) => {
      try {
        return await (handler as (i: unknown) => unknown)(input);
      } catch (err) {
        throw asContractRefusal(err);
      }
    };
  }
  return handlers;
}
