// One process at a time executes the queue (starts trainers, writes their results): the
// executor. Others (a second CLI, `queue cancel`) only change rows, which it picks up. The
// lease is a row with a heartbeat; a lease whose process is gone or silent is free.
//
// The lease is fenced: every acquisition bumps a token that only grows, and the executor
// checks that the row still holds its token in the same transaction as each of its writes
// (a claim, an epoch, a status change) and each heartbeat. A host frozen past its lease
// (Ctrl-Z, a suspended laptop, a stalled VM) that wakes after another took over therefore
// writes nothing more: its first write or beat finds a newer token, and it stops.
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
  /** Grows by one at every acquisition; absent in leases written before fencing (0). */
  token?: number;
  /** Given back: nobody holds it, but the token stays so that the next one is larger. */
  released?: boolean;
}

/** Thrown inside a fenced write when another executor has taken the lease meanwhile. */
export class LeaseLost extends Error {
  constructor(readonly holder: Lease | null) {
    super(
      holder
        ? `another executor (pid ${holder.pid} on ${holder.host}) took over the queue; stopping`
        : 'this process no longer holds the queue (its lease was given up); stopping',
    );
    this.name = 'LeaseLost';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function alive(lease: Lease, now: number): boolean {
  if (lease.released) return false;
  if (now - lease.heartbeat > STALE_MS) return false;
  if (lease.host !== hostname()) return true;
  return processAlive(lease.pid);
}

/** The live executor, if any, other than this process. */
export function currentExecutor(store: Store): Lease | null {
  const lease = store.settings.get<Lease>(KEY);
  return lease && lease.pid !== process.pid && alive(lease, Date.now()) ? lease : null;
}

/**
 * Whether some process executes the queue now, this one included (its own lease counts as
 * alive while it holds it, however late its last beat): readers use it to tell runs that are
 * running from runs whose host died and left them 'running'.
 */
export function executorAlive(store: Store): boolean {
  const lease = store.settings.get<Lease>(KEY);
  if (!lease || lease.released) return false;
  if (lease.pid === process.pid && lease.host === hostname()) return true;
  return alive(lease, Date.now());
}

export class ExecutorLease {
  private timer: NodeJS.Timeout | null = null;
  private lostWith: LeaseLost | null = null;
  private readonly lostListeners = new Set<(lost: LeaseLost) => void>();

  private constructor(
    private readonly store: Store,
    readonly token: number,
    private readonly role: string,
  ) {}

  /** Take the lease if nobody live holds it; null when another process executes the queue. */
  static acquire(store: Store, role: string): ExecutorLease | null {
    const token = store.transaction(
      () => {
        const lease = store.settings.get<Lease>(KEY);
        if (lease && lease.pid !== process.pid && alive(lease, Date.now())) return null;
        const next = (lease?.token ?? 0) + 1;
        store.settings.set(KEY, {
          pid: process.pid,
          host: hostname(),
          heartbeat: Date.now(),
          role,
          token: next,
        } satisfies Lease);
        return next;
      },
      { immediate: true },
    );
    if (token === null) return null;
    const l = new ExecutorLease(store, token, role);
    l.timer = setInterval(() => l.beat(), HEARTBEAT_MS);
    l.timer.unref();
    return l;
  }

  /** Set once the lease was found taken; nothing may be written for the queue after that. */
  get lost(): LeaseLost | null {
    return this.lostWith;
  }

  /** Called once, when a beat or a fenced write finds that another executor took over. */
  onLost(listener: (lost: LeaseLost) => void): void {
    this.lostListeners.add(listener);
  }

  /** Throws LeaseLost unless the stored lease still carries this token. Call in a transaction. */
  private check(): void {
    if (this.lostWith) throw this.lostWith;
    const lease = this.store.settings.get<Lease>(KEY);
    if (!lease || lease.released || lease.token !== this.token) {
      this.lose(new LeaseLost(lease && !lease.released ? lease : null));
      throw this.lostWith!;
    }
  }

  private lose(lost: LeaseLost): void {
    if (this.lostWith) return;
    this.lostWith = lost;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const l of this.lostListeners) l(lost);
  }

  /**
   * Run `work` in one write transaction that first checks this process still holds the lease.
   * Returns false (and writes nothing) when it does not; the lost listeners have been told.
   */
  fenced(work: () => void): boolean {
    try {
      this.store.transaction(
        () => {
          this.check();
          work();
        },
        { immediate: true },
      );
      return true;
    } catch (err) {
      if (err instanceof LeaseLost) return false;
      throw err;
    }
  }

  private beat(): void {
    try {
      this.fenced(() =>
        this.store.settings.set(KEY, {
          pid: process.pid,
          host: hostname(),
          heartbeat: Date.now(),
          role: this.role,
          token: this.token,
        } satisfies Lease),
      );
    } catch {
      // The database is busy (another writer past busy_timeout) or closing: the next beat
      // tries again, and the lease is only lost if someone else takes it meanwhile.
    }
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.lostWith) return;
    // Kept with its token (marked released) so the next holder's token is larger still.
    this.fenced(() =>
      this.store.settings.set(KEY, {
        ...this.store.settings.get<Lease>(KEY)!,
        released: true,
      } satisfies Lease),
    );
    this.lostWith = new LeaseLost(null);
  }
}
