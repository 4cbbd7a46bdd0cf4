/**
 * The hand-written OTLP protobuf codec: requests and responses for metrics,
 * logs and traces, to and from the model in src/model.
 *
 * Decoded bytes fields (trace/span ids, bytes values) are copies, so the
 * caller may reuse its input buffer. Encoders return a fresh Uint8Array the
 * caller owns.
 */
export { decodeMetricsRequest, decodeMetricsRequestWire } from './metrics';
export { encodeMetricsRequest } from './metrics-encode';
export { decodeLogsRequest, decodeLogsRequestWire, encodeLogsRequest } from './logs';
export { decodeTracesRequest, decodeTracesRequestWire } from './traces';
export { encodeTracesRequest } from './traces-encode';
export { decodeExportResponse, encodeExportResponse } from './response';
export { sniffProtoSignal } from './sniff';
