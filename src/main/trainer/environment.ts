// What a run executed with, recorded so that any number can be traced to its machine.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { RunEnvironment } from '../../shared/records';
import type { BackendInfo } from './backend/select';

let annealabVersion: string | undefined;
function ownVersion(): string {
  if (!annealabVersion) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    annealabVersion = pkg.version;
  }
  return annealabVersion;
}

export function captureEnvironment(info: BackendInfo): RunEnvironment {
  return {
    backend: info.backend,
    backendReason: info.reason,
    device: info.device,
    versions: {
      annealab: ownVersion(),
      node: process.version,
      tfjs: info.versions.tfjs,
      backend: info.versions.backend,
    },
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}`,
  };
}
