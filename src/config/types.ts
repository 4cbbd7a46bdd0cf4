/** The shapes the config system hands to the rest of the daemon. */
import type { ComponentKind, Factory } from '../pipeline/component';
import type { Signal } from '../model/batch';
import type { ConfigProblem } from './problems';

export interface ComponentConfig {
  /** `type[/name]` as written in the config (an alias stays an alias here). */
  id: string;
  kind: ComponentKind;
  /** The canonical type, even if an alias was written. */
  type: string;
  /** The part after "/", or "". */
  name: string;
  factory: Factory;
  /** Validated, defaults applied, durations → ms numbers, byte sizes → numbers. */
  config: any;
}

export interface PipelineConfig {
  /** `signal[/name]`. */
  id: string;
  signal: Signal;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface TelemetryConfig {
  logs: { level: 'debug' | 'info' | 'warn' | 'error' };
  metrics: {
    level: 'none' | 'basic' | 'normal' | 'detailed';
    /** host:port, default "127.0.0.1:8888". */
    address: string;
  };
  /** `service.telemetry.resource`, as written (attribute name → value). */
  resource?: Record<string, unknown>;
}

export interface ResolvedConfig {
  receivers: Map<string, ComponentConfig>;
  processors: Map<string, ComponentConfig>;
  exporters: Map<string, ComponentConfig>;
  extensions: Map<string, ComponentConfig>;
  service: { extensions: string[]; telemetry: TelemetryConfig; pipelines: Map<string, PipelineConfig> };
  /**
   * The merged, env-expanded config with every default filled in, as plain
   * data (durations/sizes as the user wrote them or as the schema default
   * text), for print-config.
   */
  effective: Record<string, unknown>;
}

export interface LoadResult {
  /** Set only when `problems` is empty. */
  config?: ResolvedConfig;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}
