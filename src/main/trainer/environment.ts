// What a run executed with, recorded so that any number can be traced to its machine.
import os from 'node:os';
import type { RunEnvironment } from '../../shared/records';
import type { BackendInfo } from './backend/select';
import type { RunThreads } from './run-threads';
import { ANNEALAB_VERSION } from '../services/version';

export function captureEnvironment(info: BackendInfo, threads?: RunThreads): RunEnvironment {
  return {
    backend: info.backend,
    backendReason: info.reason,
    device: info.device,
    versions: {
      annealab: ANNEALAB_VERSION,
      node: process.version,
      tfjs: info.versions.tfjs,
      backend: info.versions.backend,
    },
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}`,
    ...(threads ? { threads } : {}),
  };
}
