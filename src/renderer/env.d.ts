/// <reference types="vite/client" />
import type { Bridge } from '../shared/contract';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** The Electron preload bridge; absent in the browser host. */
    annealab?: Bridge & { pathForFile?: (file: File) => string };
  }
}
