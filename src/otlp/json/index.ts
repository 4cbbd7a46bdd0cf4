/**
 * The OTLP/JSON codec: requests and responses of the three signals, decoded
 * into and encoded from the model in src/model.
 */
export {
  decodeExportResponseJson,
  decodeLogsRequestJson,
  decodeLogsRequestObject,
  decodeMetricsRequestJson,
  decodeMetricsRequestObject,
  decodeTracesRequestJson,
  decodeTracesRequestObject,
  sniffJsonSignal,
} from './decode';
export {
  encodeExportResponseJson,
  encodeLogsRequestJson,
  encodeMetricsRequestJson,
  encodeTracesRequestJson,
} from './encode';
export { parseJsonBody } from './parse';
