// Lint with zero warnings. The layer rules below are the ones DESIGN.md promises:
// only the host layer may touch `vscode`, and lower layers never reach up.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vscodeOnlyInHost = {
  name: 'vscode',
  message: 'Only src/host/ and src/extension.ts may import vscode; keep this layer testable in plain Node.',
};

/** Folders that a layer must not import from, per DESIGN.md's one-way arrows. */
const upwardImports = (...layers) =>
  layers.map((layer) => ({
    regex: `^\\.{1,2}/(.*/)?${layer}(/|$)`,
    message: `This layer may not import from src/${layer}/ (see docs/ARCHITECTURE.md).`,
  }));

const restrict = (...layers) => [
  'error',
  { paths: [vscodeOnlyInHost], patterns: upwardImports(...layers) },
];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'bench/.data/**', 'test-results/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      parserOptions: { ecmaVersion: 2022, sourceType: 'module' },
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      'no-restricted-imports': ['error', { paths: [vscodeOnlyInHost] }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }] },
  },
  { files: ['src/shared/**/*.ts'], rules: { 'no-restricted-imports': restrict('core', 'store', 'providers', 'engine', 'app', 'cli', 'host') } },
  { files: ['src/core/**/*.ts'], rules: { 'no-restricted-imports': restrict('store', 'providers', 'engine', 'app', 'cli', 'host') } },
  { files: ['src/store/**/*.ts'], rules: { 'no-restricted-imports': restrict('providers', 'engine', 'app', 'cli', 'host') } },
  { files: ['src/providers/**/*.ts'], rules: { 'no-restricted-imports': restrict('store', 'engine', 'app', 'cli', 'host') } },
  { files: ['src/engine/**/*.ts'], rules: { 'no-restricted-imports': restrict('app', 'cli', 'host') } },
  { files: ['src/app/**/*.ts'], rules: { 'no-restricted-imports': restrict('cli', 'host') } },
  { files: ['src/cli/**/*.ts'], rules: { 'no-restricted-imports': restrict('host') } },
  { files: ['webview/**/*.ts'], rules: { 'no-restricted-imports': restrict('core', 'store', 'providers', 'engine', 'app', 'cli', 'host') } },
  // The host layer and the composition root are the only places `vscode` is allowed.
  { files: ['src/host/**/*.ts', 'src/extension.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['eslint.config.mjs', 'scripts/**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
);
