/**
 * Every component the daemon has. Adding one is a folder under its kind and
 * one line here.
 */
import type { Factory } from './pipeline/component';
import { Registry } from './pipeline/registry';
import { otlpReceiverFactory } from './receivers/otlp';
import { batchProcessorFactory } from './processors/batch';
import { memoryLimiterProcessorFactory } from './processors/memory_limiter';
import { filterProcessorFactory } from './processors/filter';
import { resourceDetectionProcessorFactory } from './processors/resourcedetection';
import { attributesProcessorFactory } from './processors/attributes';
import { resourceProcessorFactory } from './processors/resource';
import { cardinalityGuardProcessorFactory } from './processors/cardinality_guard';
import { debugExporterFactory } from './exporters/debug';
import { prometheusExporterFactory } from './exporters/prometheus';
import { otlpGrpcExporterFactory } from './exporters/otlp_grpc';
import { otlpHttpExporterFactory } from './exporters/otlp_http';
import { postgresExporterFactory } from './exporters/postgres';
import { healthCheckExtensionFactory } from './extensions/health_check';

export const FACTORIES: readonly Factory[] = [
  // receivers
  otlpReceiverFactory,
  // processors
  batchProcessorFactory,
  memoryLimiterProcessorFactory,
  filterProcessorFactory,
  resourceDetectionProcessorFactory,
  attributesProcessorFactory,
  resourceProcessorFactory,
  cardinalityGuardProcessorFactory,
  // exporters
  debugExporterFactory,
  prometheusExporterFactory,
  otlpGrpcExporterFactory,
  otlpHttpExporterFactory,
  postgresExporterFactory,
  // extensions
  healthCheckExtensionFactory,
];

export function defaultRegistry(): Registry {
  return new Registry(FACTORIES);
}
