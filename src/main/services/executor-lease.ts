// One process at a time executes the queue (starts trainers, writes their results): the
// executor. Others (a second CLI, `queue cancel`) only change rows, which it picks up. The
// lease is a row with a heartbeat; a lease whose process is gone or silent is free.
import { hostname } from 'node:os';
import type { Store } from '../store';

export const EXECUTOR_KEY = 'executor';
const KEY = EXECUTOR_KEY;
const HEARTBEAT_MS = 2000;
const STALE_MS = 10_000;

export interface Lease {
  pid: number;
  host: string;
  heartbeat: number;
  role: string;
}

function alive(lease: Lease, now: number): boolean {
  if (now - lease.heartbeat > STALE_MS) return false;
  if (lease.host !== hostname()) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live executor, if any, other than this process. */
export function currentExecutor(store: Store): Lease | null {
  const lease = store.settings.get<Lease>(KEY);
  return lease && lease.pid !== process.pid && alive(lease, Date.now()) ? lease : null;
}

export class ExecutorLease {
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly store: Store) {}

  /** Take the lease if nobody live holds it; null when another process executes the queue. */
  static acquire(store: Store, role: string): ExecutorLease | null {
    const got = store.transaction(
      () => {
        const lease = store.settings.get<Lease>(KEY);
        if (lease && lease.pid !== process.pid && alive(lease, Date.now())) return false;
        store.settings.set(KEY, {
          pid: process.pid,
          host: hostname(),
          heartbeat: Date.now(),
          role,
        } satisfies Lease);
        return true;
      },
      { immediate: true },
    );
    if (!got) return null;
    const l = new ExecutorLease(store);
    l.timer = setInterval(() => l.beat(role), HEARTBEAT_MS);
    l.timer.unref();
    return l;
  }

  private beat(role: string): void {
    this.store.settings.set(KEY, {
      pid: process.pid,
      host: hostname(),
      heartbeat: Date.now(),
      role,
    } satisfies Lease);
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const lease = this.store.settings.get<Lease>(KEY);
    if (lease?.pid === process.pid) this.store.settings.delete(KEY);
  }
}
