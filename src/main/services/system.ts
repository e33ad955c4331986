// The system service: what the System view shows: the backend in use and why, the devices,
// CUDA, the data directory's sizes and the versions of what computes.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SystemInfo } from '../../shared/contract';
import type { Store } from '../store';
import { DB_FILE } from '../store/db';
import { tfjsNodeGpuEntry } from '../trainer/backend/backend-request';
import { defaultConcurrencyNow } from './queue-control';
import { ANNEALAB_VERSION } from './version';

const execFileAsync = promisify(execFile);

export async function describeSystem(
  store: Store,
  dataDir: string,
  host: SystemInfo['host'],
): Promise<SystemInfo> {
  const databaseBytes = ['', '-wal', '-shm'].reduce(
    (sum, s) => sum + fileSize(join(dataDir, `${DB_FILE}${s}`)),
    0,
  );
  const last = store.runs.lastEnvironment();
  const nodeGpu = tfjsNodeGpuStatus();
  const cuda = await cudaLibraries();
  const gpus = await nvidiaGpus();
  let backend: SystemInfo['backend'];
  if (last) {
    const env = last.environment;
    backend = {
      name: env.backend,
      reason: env.backendReason,
      device: env.device,
      basis: 'last-run',
      recordedAt: last.startedAt,
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
  const sqlite = store.sqliteVersion();
  return {
    host: host,
    version: ANNEALAB_VERSION,
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
      annealab: ANNEALAB_VERSION,
      node: process.versions.node,
      ...(process.versions.electron ? { electron: process.versions.electron } : {}),
      'tfjs-core': versionOf('@tensorflow/tfjs-core'),
      'tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      'tfjs-node-gpu': versionOf('@tensorflow/tfjs-node-gpu'),
      'better-sqlite3': versionOf('better-sqlite3'),
      sqlite,
    },
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    defaultConcurrency: defaultConcurrencyNow(),
  };
}

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
