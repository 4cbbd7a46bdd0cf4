/** TLS for the servers the listener registry feeds (HTTP and gRPC alike). */
import type * as tls from 'node:tls';

/** TLS files as read when the lease was taken. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCa?: Buffer;
  minVersion?: '1.2' | '1.3';
}

/** The server options for `t`: a client certificate is required exactly when a client CA is given. */
export function tlsServerOptions(t: TlsMaterial): tls.TlsOptions {
  return {
    cert: t.cert,
    key: t.key,
    ca: t.clientCa,
    requestCert: t.clientCa !== undefined,
    rejectUnauthorized: t.clientCa !== undefined,
    minVersion: t.minVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
  };
}
