// electron-vite builds three bundles: the Electron main (with the trainer's utilityProcess
// entry beside it), the sandboxed preload, and the Vue renderer that the browser host serves too.
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'vite';

const root = import.meta.dirname;
const PACKAGE_JSON = resolve(root, 'package.json');

/**
 * Source modules read package.json by a path relative to themselves
 * (`new URL('../../../package.json', import.meta.url)`); bundled into out/main they sit two
 * levels below the app's root, so point those URLs there.
 */
function packageJsonFromBundle(): Plugin {
  return {
    name: 'annealab:package-json-url',
    transform(code, id) {
      if (!id.startsWith(resolve(root, 'src'))) return null;
      const out = code.replace(
        /new URL\((['"])((?:\.\.\/)+package\.json)\1, import\.meta\.url\)/g,
        (all, _q, rel) =>
          resolve(dirname(id), rel) === PACKAGE_JSON ? "new URL('../../package.json', import.meta.url)" : all,
      );
      return out === code ? null : { code: out, map: null };
    },
  };
}

export default defineConfig({
  main: {
    plugins: [packageJsonFromBundle()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(root, 'src/main/electron/main.ts'),
          trainer: resolve(root, 'src/main/electron/trainer-entry.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require packages: bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      // The browser host serves this over the network too (an SSH tunnel): keep it small.
      minify: true,
      sourcemap: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
});
