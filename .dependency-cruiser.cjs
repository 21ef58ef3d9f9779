// The layers of flinkx and the checks that keep them (`npm run depcheck`, run by test/run-all.sh).
// common/ is the API, the job file, the protocol and what every process shares: it imports no
// process's code. The JobManager and the TaskManager share only common/. Type-only imports count:
// a type cycle is a design cycle too. common/'s tests keep to common/; the JobManager's and the
// TaskManager's tests may reach across (the API run in the runtime's harness, the coordinator against
// the files tasks write), but not in a cycle.
const TESTS = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'common-imports-no-process',
      comment:
        'common/ is shared by the CLI, the JobManager, the TaskManager and job bundles: it imports none of them (nor benchmarks or tests).',
      severity: 'error',
      from: { path: '^common/' },
      to: { path: '^(jobmanager|taskmanager|bin|bench|test)/' },
    },
    {
      name: 'jobmanager-not-taskmanager',
      comment: 'The JobManager and the TaskManager share only common/ (protocol, plan, job file).',
      severity: 'error',
      from: { path: '^jobmanager/', pathNot: TESTS },
      to: { path: '^taskmanager/' },
    },
    {
      name: 'taskmanager-not-jobmanager',
      comment: 'The TaskManager and the JobManager share only common/ (protocol, plan, job file).',
      severity: 'error',
      from: { path: '^taskmanager/', pathNot: TESTS },
      to: { path: '^jobmanager/' },
    },
    {
      name: 'no-circular',
      comment: 'No module imports itself through others: move what both need to a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // The bin/*.js launchers load dist/, which is built from these sources.
    exclude: { path: '^(dist|node_modules)/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
