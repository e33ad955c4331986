// The browser host's transport: the contract over HTTP (POST /api/invoke/<route>) and
// server-sent events (GET /api/events). The token travels as an HttpOnly cookie the host set
// when the page was first opened with ?token=…, so this code never sees it.
import { ContractError, type Bridge, type ContractErrorBody, type EventName } from '../../shared/contract';

export function httpBridge(base = ''): Bridge {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let source: EventSource | null = null;

  const ensureSource = () => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(`${base}/api/events`);
    for (const name of listeners.keys()) attach(name);
  };
  const attached = new Set<string>();
  const attach = (name: string) => {
    if (!source || attached.has(name)) return;
    attached.add(name);
    source.addEventListener(name, (e) => {
      const payload = JSON.parse((e as MessageEvent<string>).data) as unknown;
      for (const l of listeners.get(name) ?? []) l(payload);
    });
  };

  return {
    async invoke(name, input) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/invoke/${name}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
      } catch (err) {
        throw new ContractError(`the Annealab host is not reachable (${(err as Error).message})`, 'internal');
      }
      if (res.status === 401) {
        throw new ContractError(
          'not authorised: open the URL with the token that `annealab serve` printed',
          'internal',
        );
      }
      const body = (await res.json().catch(() => null)) as {
        value?: unknown;
        error?: ContractErrorBody;
      } | null;
      if (!res.ok || !body || body.error) {
        throw ContractError.fromBody(body?.error ?? { message: `HTTP ${res.status}`, code: 'internal' });
      }
      return body.value as never;
    },
    on(name: EventName, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      ensureSource();
      attach(name);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
}
