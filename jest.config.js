/** Unit tests sit beside the code; tests that start processes live in test/ and run against dist/. */
const transform = { '^.+\\.ts$': ['@swc/jest'] };
module.exports = {
  projects: [
    { displayName: 'unit', transform, testMatch: ['<rootDir>/{common,jobmanager,taskmanager,bin}/**/*.test.ts'] },
    { displayName: 'cluster', transform, testMatch: ['<rootDir>/test/**/*.test.ts'] },
  ],
};
