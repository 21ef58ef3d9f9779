// Lint: typescript-eslint's recommended type-checked rules, for the bugs types can see (a promise
// nobody awaits or catches, a promise where a callback's result is ignored, `[object Object]` in a
// message). Layout is prettier's (`npm run format`), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'deploy/', 'jobs/**/out/', 'bench/peers/flink/target/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The tests' tsconfig covers the sources and the tests; jobs/ resolves `flinkx` to dist/ (build first).
        project: ['./tsconfig.test.json', './jobs/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_` names what is left out on purpose (a destructured field, an unused parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Interfaces here declare function-valued properties with method syntax (`unwrap(r): T`,
      // `isTerminal(s)`) and implement them with arrows: passing them around is safe, the rule cannot tell.
      '@typescript-eslint/unbound-method': 'off',
      // An `async` implementation of a Promise-returning interface needs no await; not a bug.
      '@typescript-eslint/require-await': 'off',
      // Redundant casts are noise, not bugs; left to reviews.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Tests read JSON answers and poke at internals (kafkajs's untyped ones among them): `any` there
    // is deliberate, and jest's isolateModules needs require().
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // Rejecting with what a catch caught, or with an error class of an untyped library, is fine.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['jobmanager/dashboard/app.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
);
