/**
 * The job file: its schema (schema.ts, connectors' options beside each connector), the graph checks
 * a valid shape must still pass (graph-checks.ts, time.ts), the wording of problems (messages.ts), and
 * reading a file into a validated JobSpec (load.ts).
 */
export * from './schema';
export { isJoinType, isKeyedType, keyByProblems } from './graph-checks';
export { keyField, LATE_OUTPUT, resolveInput, resultField } from './time';
export { loadJobFile, parseJobSpec, resolveJobPaths } from './load';
export { DiscardConnectorSchema, type DiscardConnector } from '../connectors/discard';
export { FileConnectorSchema, type FileConnector } from '../connectors/file';
export { GeneratorConnectorSchema, type GeneratorConnector } from '../connectors/generator';
export { KafkaConnectorSchema, type KafkaConnector } from '../connectors/kafka';
export { NexmarkConnectorSchema, type NexmarkConnector } from '../connectors/nexmark';
export { StdoutConnectorSchema, type StdoutConnector } from '../connectors/stdout';
