// electron-vite builds three bundles: the Electron main (with the trainer's utilityProcess
// entry beside it), the sandboxed preload, and the Vue renderer that the browser host serves too.
// (The CLI, the forked trainer and the bench worker are scripts/build-node.mjs's: out/node.)
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

const root = import.meta.dirname;

export default defineConfig({
  main: {
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
