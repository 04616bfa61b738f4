// Jest runs the TypeScript sources as native ES modules through ts-jest (which uses the real
// TypeScript compiler, so decorator metadata is emitted exactly as `tsc` emits it for `npm start`).
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  setupFiles: ['reflect-metadata'],
  // Builds dist/ when it is stale: process-level tests run `node dist/main.js`.
  globalSetup: '<rootDir>/test/global-setup.js',
  moduleNameMapper: {
    // Sources import relative files with their emitted `.js` name (NodeNext); jest resolves the `.ts`.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // Two cores: integration suites open real sockets and servers, so keep parallelism modest.
  maxWorkers: 2,
  testTimeout: 20000,
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
};
