/**
 * The job file: its schema (schema.ts, connectors' options beside each connector), the graph checks
 * a valid shape must still pass (graph-checks.ts, time.ts), the wording of problems (messages.ts), and
 * reading a file into a validated JobSpec (load.ts).
 */
export * from './schema';
export { isJoinType, isKeyedType, keyByProblems } from './graph-checks';
export { keyField, LATE_OUTPUT, resolveInput, resultField } from './time';
export { loadJobFile, parseJobSpec, resolveJobPaths } from './load';
export { DiscardConnectorSchema, type DiscardConnector } from '../../taskmanager/connectors/discard/options';
export { FileConnectorSchema, type FileConnector } from '../../taskmanager/connectors/file/options';
export { GeneratorConnectorSchema, type GeneratorConnector } from '../../taskmanager/connectors/generator/options';
export { KafkaConnectorSchema, type KafkaConnector } from '../../taskmanager/connectors/kafka/options';
export { NexmarkConnectorSchema, type NexmarkConnector } from '../../taskmanager/connectors/nexmark/options';
export { StdoutConnectorSchema, type StdoutConnector } from '../../taskmanager/connectors/stdout/options';
