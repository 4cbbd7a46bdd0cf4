/**
 * The memory limiter's state machine: measure every check interval, refuse
 * while usage is above the soft limit, recover on its own once it is below
 * again. A GC is forced only where the runtime offers one (`node
 * --expose-gc`), no more often than the configured minimum intervals.
 */
import type { Logger } from '../../telemetry/logger';
import { MIB, type Limits } from './limits';

export type MemoryState = 'normal' | 'soft' | 'hard';

/** For the state gauge: 0 normal, 1 above the soft limit, 2 above the hard limit. */
export const STATE_VALUE: Record<MemoryState, number> = { normal: 0, soft: 1, hard: 2 };

export interface LimiterDeps {
  /** Bytes in use now (in the daemon: V8 heap plus Buffers, see jsMemoryInUse). */
  measure(): number;
  /** Forces a full GC; absent when the runtime does not expose one. */
  gc?: () => void;
  now(): number;
  logger: Logger;
}

export interface GcIntervals {
  softMs: number;
  hardMs: number;
}

const mib = (b: number): number => Math.round((b / MIB) * 10) / 10;

export class MemoryLimiter {
  private current: MemoryState = 'normal';
  private usage = 0;
  private lastGc = -Infinity;

  constructor(
    readonly limits: Limits,
    private readonly gcIntervals: GcIntervals,
    private readonly deps: LimiterDeps,
  ) {}

  get state(): MemoryState {
    return this.current;
  }

  get refusing(): boolean {
    return this.current !== 'normal';
  }

  /** Bytes measured at the last check. */
  get lastUsage(): number {
    return this.usage;
  }

  private classify(bytes: number): MemoryState {
    return bytes >= this.limits.hardBytes ? 'hard' : bytes >= this.limits.softBytes ? 'soft' : 'normal';
  }

  /** Measures, maybe collects garbage and measures again, and moves to the state that usage calls for. */
  check(): MemoryState {
    let usage = this.deps.measure();
    let next = this.classify(usage);
    if (next !== 'normal' && this.deps.gc) {
      const now = this.deps.now();
      const interval = next === 'hard' ? this.gcIntervals.hardMs : this.gcIntervals.softMs;
      if (now - this.lastGc >= interval) {
        this.deps.gc();
        this.lastGc = now;
        const before = usage;
        usage = this.deps.measure();
        next = this.classify(usage);
        this.deps.logger.debug('forced a garbage collection', { before_mib: mib(before), after_mib: mib(usage) });
      }
    }
    this.usage = usage;
    if (next !== this.current) this.transition(this.current, next, usage);
    this.current = next;
    return next;
  }

  private transition(from: MemoryState, to: MemoryState, usage: number): void {
    const fields = { from, to, usage_mib: mib(usage), soft_limit_mib: mib(this.limits.softBytes), hard_limit_mib: mib(this.limits.hardBytes) };
    if (to === 'normal') this.deps.logger.info('memory usage is below the soft limit again; accepting data', fields);
    else if (to === 'hard') this.deps.logger.warn('memory usage is above the hard limit; refusing data until it drops below the soft limit', fields);
    else if (from === 'normal') this.deps.logger.warn('memory usage is above the soft limit; refusing data until it drops below it', fields);
    else this.deps.logger.warn('memory usage is back under the hard limit but still above the soft limit; still refusing data', fields);
  }

  /** Why data is refused now, for the error the sender sees. */
  refusalMessage(): string {
    const limit = this.current === 'hard' ? this.limits.hardBytes : this.limits.softBytes;
    return `memory usage ${mib(this.usage)} MiB is above the ${this.current} limit of ${mib(limit)} MiB; data is refused until usage drops below ${mib(this.limits.softBytes)} MiB`;
  }
}
