// A real one-node Slurm cluster on 127.0.0.1 for integration tests: munged, slurmctld and slurmd
// (Debian's slurm-wlm 22.05), each with its own config, state, spool, log, key and socket under a
// temp dir, started with explicit paths and pid files and stopped by those pids. Nothing of the
// machine's own Slurm or munge set-up (/etc/slurm, /run/munge) is read or touched.
//
// Needs root (slurmd runs jobs as their user) and the packages; `slurmUnavailable()` says why not.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const DAEMONS = ['munged', 'slurmctld', 'slurmd'] as const;
const CLIENTS = ['sbatch', 'squeue', 'scontrol', 'scancel'];
export const NODE_NAME = 'annealab-node';
export const PARTITION = 'debug';

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function inSbin(command: string): string | null {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/local/sbin']) {
    if (existsSync(join(dir, command))) return join(dir, command);
  }
  return onPath(command) ? command : null;
}

/** Why the cluster cannot start here, or null when it can. */
export function slurmUnavailable(): string | null {
  if (process.platform !== 'linux') return 'Slurm tests need Linux';
  if (process.getuid?.() !== 0) return 'Slurm tests need root (slurmd runs the jobs as their user)';
  const missing = [...DAEMONS.filter((d) => !inSbin(d)), ...CLIENTS.filter((c) => !onPath(c))];
  if (missing.length > 0)
    return `Slurm tests need ${missing.join(', ')} (apt-get install slurmctld slurmd slurm-client munge)`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SlurmCluster {
  dir: string;
  conf: string;
  /** The environment a client command (sbatch, squeue) needs to talk to this cluster. */
  env: NodeJS.ProcessEnv;
  /** Run a client command against this cluster; its stdout. */
  client(command: string, args: string[]): string;
  /** The daemons' logs, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'annealab-slurm-'));
  for (const sub of ['state', 'spool', 'log', 'munge']) mkdirSync(join(dir, sub));
  chmodSync(join(dir, 'munge'), 0o700);
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  const conf = join(dir, 'slurm.conf');
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  writeFileSync(
    conf,
    [
      'ClusterName=annealabtest',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'JobCompType=jobcomp/none',
      'MpiDefault=none',
      'ReturnToService=2',
      // Quick turnarounds for tests: a cancelled job gets 10 s to stop, ended jobs stay visible
      // to scontrol for 5 minutes (the default), scheduling runs every second.
      'KillWait=10',
      'SchedulerParameters=sched_interval=1',
      `NodeName=${NODE_NAME} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=1000 State=UNKNOWN`,
      `PartitionName=${PARTITION} Nodes=${NODE_NAME} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const pids: string[] = [];
  const cluster: SlurmCluster = {
    dir,
    conf,
    env,
    client: (command, args) => execFileSync(command, args, { env, encoding: 'utf8' }),
    logs: () =>
      ['slurmctld', 'slurmd', 'munged']
        .map((d) => {
          const p = join(dir, 'log', `${d}.log`);
          return existsSync(p) ? `== ${d}\n${readFileSync(p, 'utf8').slice(-3000)}` : '';
        })
        .join('\n'),
    stop: async () => {
      // Jobs first, so that no slurmstepd outlives its slurmd; then Slurm, munge last.
      spawnSync('scancel', ['--full', '--user', 'root'], { env, stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const r = spawnSync('squeue', ['-h', '-t', 'PD,R,CG,S', '-o', '%i'], { env, encoding: 'utf8' });
        if (r.status !== 0 || r.stdout.trim() === '') break;
        await sleep(200);
      }
      // Slurm first (slurmd ends its jobs' processes), munge last; each by its own pid file.
      for (const pidFile of [...pids].reverse()) {
        if (!existsSync(pidFile)) continue;
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          continue;
        }
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await sleep(100);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const daemon = (name: string, args: string[], pidFile: string) => {
    execFileSync(inSbin(name)!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    pids.push(pidFile);
  };
  try {
    daemon(
      'munged',
      [
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
        `--log-file=${join(dir, 'log', 'munged.log')}`,
        `--seed-file=${join(dir, 'munge', 'seed')}`,
        '--force',
      ],
      join(dir, 'munge', 'munged.pid'),
    );
    daemon('slurmctld', ['-f', conf], join(dir, 'slurmctld.pid'));
    daemon('slurmd', ['-f', conf, '-N', NODE_NAME], join(dir, 'slurmd.pid'));
    // Ready when the node is idle in the partition.
    for (let i = 0; ; i++) {
      const r = spawnSync('sinfo', ['-h', '-N', '-o', '%t'], { env, encoding: 'utf8' });
      if (r.status === 0 && /idle|mix|alloc/.test(r.stdout)) break;
      if (i > 150) throw new Error(`the test cluster did not come up: ${r.stdout}${r.stderr}`);
      await sleep(200);
    }
  } catch (err) {
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return cluster;
}
