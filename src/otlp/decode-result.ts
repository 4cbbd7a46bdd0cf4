/**
 * What the OTLP decoders (protobuf and JSON) return, and the error they throw.
 *
 * A request that cannot be parsed at all throws OtlpDecodeError (the receiver
 * answers 400 / INVALID_ARGUMENT with its message). A request that parses but
 * holds items the spec calls invalid (a trace id that is not 16 bytes, a
 * histogram whose bucket counts do not match its bounds, a metric without a
 * name) keeps the good items and reports the rest as rejected, which the
 * receiver returns as `partial_success`.
 */

export interface DecodeResult<T> {
  /** The resources decoded, in request order. */
  data: T[];
  /** Items (data points, log records, spans) left out as invalid. */
  rejected: number;
  /** Why, for the first few rejections ('' when none). */
  rejectMessage: string;
}

export class OtlpDecodeError extends Error {
  readonly code = 'OTLP_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

/** Collects rejections while decoding; keeps the message short. */
export class Rejections {
  count = 0;
  private messages: string[] = [];

  add(items: number, why: string): void {
    this.count += items;
    if (this.messages.length < 3 && !this.messages.includes(why)) this.messages.push(why);
  }

  get message(): string {
    return this.messages.join('; ');
  }
}
