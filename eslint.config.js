// Lint: typescript-eslint's type-aware recommended rules, plus the import boundaries of DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// `never(importer, imported, message)`: no file under src/<importer> imports anything under src/<imported>
// (import-x names the importing side `target` and the imported side `from`).
const never = (importer, imported, message, except) => ({
  target: `./src/${importer}`,
  from: `./src/${imported}`,
  message,
  ...(except ? { except } : {}),
});

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
            // The ten "never" rules of DESIGN.md, in its order.
            never(
              'billwerk',
              'graphql',
              'billwerk/ imports nothing of graphql/: the REST client knows no GraphQL',
            ),
            never(
              'billwerk',
              'loaders',
              'billwerk/ imports nothing of loaders/: the client is the bottom layer',
            ),
            never(
              'billwerk',
              'events',
              'billwerk/ imports nothing of events/: the client is the bottom layer',
            ),
            never('emulator', 'graphql', 'emulator/ imports nothing of graphql/: the emulator stands alone'),
            never('emulator', 'events', 'emulator/ imports nothing of events/: the emulator stands alone'),
            never('emulator', 'webhooks', 'emulator/ sends webhooks over HTTP, never by call'),
            never('emulator', 'server', 'emulator/ imports nothing of server/'),
            never('emulator', 'billwerk', 'emulator/ shares only the DTO types of billwerk/', ['./dto.ts']),
            never(
              'webhooks',
              'graphql',
              'webhooks/ imports nothing of graphql/: ingestion stores, it does not execute',
            ),
            never('events', 'server', 'events/ imports nothing of server/: the log knows no transport'),
            never(
              'loaders',
              'graphql',
              'loaders/ import nothing of graphql/: loaders serve resolvers, not the reverse',
            ),
            // The delivery path sits between the log and the transports: it knows neither the schema's
            // classes nor the gateway's servers (graphql-ws's frame format aside), and the log knows nothing of it.
            never(
              'delivery',
              'server',
              'delivery/ imports nothing of server/: transports pass their writers in',
            ),
            never(
              'delivery',
              'graphql',
              'delivery/ imports nothing of graphql/: it executes the schema it is given',
            ),
            never(
              'events',
              'delivery',
              'events/ imports nothing of delivery/: the log knows nothing of who reads it',
            ),
            never('webhooks', 'delivery', 'webhooks/ store and answer; the relay takes stored events on'),
            // Only the composition root (server/gateway.ts) knows the backend; the rest gets its interfaces.
            ...[
              'auth',
              'billwerk',
              'delivery',
              'destinations',
              'events',
              'graphql',
              'idempotency',
              'loaders',
              'webhooks',
            ].map((importer) => never(importer, 'backend', 'only server/gateway.ts builds the backend')),
            // More of the same direction: the bottom layer and the emulator stay apart from the rest.
            never('billwerk', 'server', 'billwerk/ is the bottom layer'),
            never('billwerk', 'emulator', 'billwerk/ must not depend on the emulator'),
            never('graphql', 'emulator', 'the emulator is a separate billwerk; it shares only DTO types'),
            never('server', 'emulator', 'the emulator is a separate billwerk; it shares only DTO types'),
            { target: './src', from: './test', message: 'src/ never imports test/' },
            {
              target: './bench',
              from: './test',
              message: 'bench/ never imports test/: shared code lives in bench/lib/ or src/',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
  },
  {
    // Configuration enters once: config.ts reads the environment; main.ts hands it over, tools pass it to children.
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts', 'src/main.ts', 'src/tools/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration through src/config.ts' },
      ],
    },
  },
  {
    // A function reads as a table of contents of named parts: none in src/ runs over 80 lines of code
    // (blank lines and comments aside).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // DESIGN.md rule 7: of billwerk/ the emulator takes DTO types only, never a value.
    files: ['src/emulator/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/billwerk/*'],
              allowTypeImports: true,
              message: 'emulator/ imports only types from billwerk/',
            },
          ],
        },
      ],
    },
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
