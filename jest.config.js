/** Jest 30 + ts-jest in ESM mode. Type checking is `npm run typecheck`'s job (isolatedModules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  // tsconfig's rewriteRelativeImportExtensions turns './x.ts' into './x.js' in ts-jest's output: map it back.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  collectCoverageFrom: ['packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  testTimeout: 120000,
  maxWorkers: 2,
};
