// Which transport the renderer talks through: the Electron preload's bridge when present,
// otherwise HTTP + SSE to the browser host. Tests install their own with setBridge.
import type { Bridge } from '../../shared/contract';
import { httpBridge } from './http';

let current: Bridge | null = null;

export function bridge(): Bridge {
  if (!current) {
    current = typeof window !== 'undefined' && window.annealab ? window.annealab : httpBridge();
  }
  return current;
}

export function setBridge(b: Bridge | null): void {
  current = b;
}

export function isDesktop(): boolean {
  return typeof window !== 'undefined' && Boolean(window.annealab);
}
