// ESLint flat config: the rules `npm test` holds every source file to
// (`npm run lint`, --max-warnings=0, as node-redis does). typescript-eslint's
// recommended set plus the type-aware rules that catch real defects in a
// server full of sockets and promises; style is left to the code's own
// conventions, so nothing here is about formatting.

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.tap/', 'node_modules/', '.ci/node/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // One program for the whole tree (sources and tests): faster than a project service per file.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits or catches is a lost error or an unhandled rejection that ends the process.
      // tap queues `t.test(...)` and reports its failures itself, so its promise need not be awaited.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // An async function where a callback's return is ignored (socket.on('data', async ...)) loses its rejections.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      // Not no-unnecessary-type-assertion: with noUncheckedIndexedAccess the code writes `words[i]!` to
      // say "in bounds here", even where the receiver would take undefined (buf.subarray(start!, end!)),
      // and a silent undefined there is exactly the bug the `!` rules out.
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
      // verbatimModuleSyntax: a type imported as a value stays in the emitted JS.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    rules: {
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      'no-fallthrough': 'error',
      'no-var': 'error',
      // Byte writers advance their cursor on every write, the last one too (`buf[off++] = 10`);
      // flagging that final increment would make the hot loops less uniform for nothing.
      'no-useless-assignment': 'off',
      // lib/cli/yargs.d.ts types yargs, which ships none; the path reference names where they come from.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
      'no-throw-literal': 'off', // @typescript-eslint/only-throw-error covers it with types
      // Unused names are defects; a leading underscore marks one kept on purpose (a callback's shape).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Plain JS scripts: no type information, Node's globals.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' },
    },
  },
);
