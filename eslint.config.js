// Lint: typescript-eslint's type-aware recommended rules, plus the import boundaries of DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const layer = (from, target, message) => ({ target: `./src/${target}`, from: `./src/${from}`, message });

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'dist-examples/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'sdk/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            layer('graphql', 'billwerk', 'billwerk/ knows nothing of GraphQL'),
            layer('server', 'billwerk', 'billwerk/ is the bottom layer'),
            layer('loaders', 'billwerk', 'billwerk/ is the bottom layer'),
            layer('emulator', 'billwerk', 'billwerk/ must not depend on the emulator'),
            layer('graphql', 'emulator', 'the emulator is a separate billwerk; it shares only DTO types'),
            layer('server', 'emulator', 'the emulator is a separate billwerk; it shares only DTO types'),
            { target: './src', from: './test', message: 'src/ never imports test/' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly' },
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
