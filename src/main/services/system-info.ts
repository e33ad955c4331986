// What the System view shows: the backend in use and why, the devices, CUDA, the data
// directory's sizes and the versions of what computes.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SystemInfo } from '../../shared/contract';
import type { RunEnvironment } from '../../shared/records';
import type { Store } from '../store';
import { DB_FILE } from '../store/db';
import { resolveBackendRequest, tfjsNodeGpuEntry } from '../trainer/backend/select';
import { defaultConcurrency } from './queue';

const execFileAsync = promisify(execFile);
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export async function describeSystem(
  store: Store,
  dataDir: string,
  host: SystemInfo['host'],
): Promise<SystemInfo> {
  const databaseBytes = ['', '-wal', '-shm'].reduce(
    (sum, s) => sum + fileSize(join(dataDir, `${DB_FILE}${s}`)),
    0,
  );
  const last = store.db
    .prepare(
      `SELECT environment, started_at FROM runs WHERE environment IS NOT NULL ORDER BY started_at DESC LIMIT 1`,
    )
    .get() as { environment: string; started_at: string } | undefined;
  const nodeGpu = tfjsNodeGpuStatus();
  const cuda = await cudaLibraries();
  const gpus = await nvidiaGpus();
  let backend: SystemInfo['backend'];
  if (last) {
    const env = JSON.parse(last.environment) as RunEnvironment;
    backend = {
      name: env.backend,
      reason: env.backendReason,
      device: env.device,
      basis: 'last-run',
      recordedAt: last.started_at,
    };
  } else {
    backend = nodeGpu.installed
      ? {
          name: 'tensorflow',
          reason: `auto: ${nodeGpu.detail}; a run tries it first and falls back to wasm if it fails to load`,
          device: null,
          basis: 'predicted',
          recordedAt: null,
        }
      : {
          name: 'wasm',
          reason: `auto: ${nodeGpu.detail}; using wasm`,
          device: null,
          basis: 'predicted',
          recordedAt: null,
        };
  }
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  const versionOf = (name: string) => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  const sqlite = (store.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  let request: ReturnType<typeof resolveBackendRequest>['request'] = 'auto';
  try {
    request = resolveBackendRequest(null).request;
  } catch {
    // Reported when a run starts.
  }
  return {
    host: host,
    version: pkg.version,
    dataDir,
    databaseBytes,
    datasetsBytes: dirSize(join(dataDir, 'datasets')),
    checkpointsBytes: dirSize(join(dataDir, 'checkpoints')),
    backend,
    tfjsNodeGpu: nodeGpu,
    cuda,
    devices: [
      {
        kind: 'cpu',
        name: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? `${os.arch()} CPU`,
        detail: `${cpus.length} logical core${cpus.length === 1 ? '' : 's'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
      },
      ...gpus,
    ],
    versions: {
      annealab: pkg.version,
      node: process.versions.node,
      ...(process.versions.electron ? { electron: process.versions.electron } : {}),
      'tfjs-core': versionOf('@tensorflow/tfjs-core'),
      'tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      'tfjs-node-gpu': versionOf('@tensorflow/tfjs-node-gpu'),
      'better-sqlite3': versionOf('better-sqlite3'),
      sqlite,
    },
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    defaultConcurrency: defaultConcurrency(request),
  };
}

// ---- the routes ----------------------------------------------------------------------

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function dirSize(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : e.isFile() ? fileSize(p) : 0;
  }
  return total;
}

function tfjsNodeGpuStatus(): SystemInfo['tfjsNodeGpu'] {
  const entry = tfjsNodeGpuEntry();
  return entry
    ? { installed: true, detail: `@tensorflow/tfjs-node-gpu is installed (${entry})` }
    : { installed: false, detail: '@tensorflow/tfjs-node-gpu is not installed (optional dependency)' };
}

/** The libraries tfjs-node-gpu's libtensorflow 2.9.1 loads: CUDA 11.2's runtime and cuDNN 8. */
const CUDA_LIBS = ['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8'];

async function cudaLibraries(): Promise<SystemInfo['cuda']> {
  if (process.platform !== 'linux') {
    return {
      found: [],
      missing: [],
      detail: 'CUDA is looked for on Linux only (tfjs-node-gpu supports Linux x86-64)',
    };
  }
  let cache = '';
  try {
    cache = (await execFileAsync('ldconfig', ['-p'], { timeout: 3000 })).stdout;
  } catch {
    // No ldconfig on PATH: fall back to LD_LIBRARY_PATH alone.
  }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const found = CUDA_LIBS.filter((lib) => cache.includes(lib) || dirs.some((d) => existsSync(join(d, lib))));
  const missing = CUDA_LIBS.filter((lib) => !found.includes(lib));
  return {
    found,
    missing,
    detail:
      missing.length === 0
        ? 'CUDA 11 and cuDNN 8 libraries found'
        : `CUDA libraries not found: ${missing.join(', ')} (tfjs-node-gpu needs CUDA 11.2 and cuDNN 8.1)`,
  };
}

async function nvidiaGpus(): Promise<SystemInfo['devices']> {
  try {
    const { stdout } = await execFileAsync(
      'nvidia-smi',
      ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'],
      { timeout: 5000 },
    );
    return stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, memory, driver] = line.split(',').map((s) => s.trim());
        return {
          kind: 'gpu' as const,
          name: name ?? 'NVIDIA GPU',
          detail: `${memory ?? '?'}, driver ${driver ?? '?'}`,
        };
      });
  } catch {
    return [];
  }
}
