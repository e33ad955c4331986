// ESLint flat config: TypeScript-aware rules for all node-side code, and Vue's recommended
// rules for the renderer's single-file components.
import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,mts,js,mjs}'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The layer rule of DESIGN.md: the hosts and what they run in-process (services, store,
    // exports, datasets) import nothing of the trainer but its protocol, the checkpoint's
    // metadata, the weights file format and the tfjs-free backend request; anything else would
    // load TensorFlow.js into the Electron main process. Exempt: `annealab models`, which builds networks to print them
    // (and loads them only when it runs), and the utility process's entry, which is a trainer.
    files: ['src/main/{services,cli,web,electron,store,export,datasets}/**/*.{ts,mts}'],
    ignores: ['src/main/cli/commands/models.ts', 'src/main/electron/trainer-entry.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '(^|/)trainer(/(?!(protocol|checkpoint|weights-file|backend/backend-request)(\\.ts)?$).*)?$',
              message:
                'hosts import of the trainer only trainer/protocol, trainer/checkpoint, trainer/weights-file and trainer/backend/backend-request (DESIGN.md, layers)',
            },
          ],
        },
      ],
    },
  },
  // Vue: the recommended set (essential + strongly recommended + recommended), without its layout
  // rules, which Prettier owns; <script setup lang="ts"> parsed by typescript-eslint.
  ...pluginVue.configs['flat/recommended'],
  pluginVue.configs['no-layout-rules'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    rules: {
      // vue-tsc checks names (browser globals included); ESLint's scope analysis does not know the DOM's.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests poke at parsed JSON and SQLite rows; typing every field there buys nothing.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // A training method is the same on every backend: which kernel runs where is backend/'s
    // business (sgd-update.ts, symmetric-moves.ts), so methods neither ask nor reach into kernels.
    files: ['src/main/trainer/methods/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/backend/simd/*', '**/wasm-kernels'],
              message: 'methods call backend-neutral functions in trainer/backend/',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='getBackend']",
          message: 'methods must not depend on which backend runs',
        },
      ],
    },
  },
);
