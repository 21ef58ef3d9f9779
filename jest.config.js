/** Unit tests sit beside the code; tests that start processes live in test/ and run against dist/. */
const transform = { '^.+\\.ts$': ['@swc/jest'] };
// Unit tests of jobs/ import the package by name; they run against this source tree, not dist/.
const moduleNameMapper = {
  '^flinkx$': '<rootDir>/common/datastream/index.ts',
  '^flinkx/testing$': '<rootDir>/taskmanager/testing/operator-test-harness.ts',
};
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/{common,jobmanager,taskmanager,bin,jobs}/**/*.test.ts'],
    },
    { displayName: 'cluster', transform, testMatch: ['<rootDir>/test/**/*.test.ts'] },
  ],
};
