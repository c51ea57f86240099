/**
 * Every AWS client spotwise makes bounds its requests: a connection that does not open within 5 s or a
 * request that gets no answer within 30 s fails with TimeoutError (mapped to `deadline_exceeded`, which the
 * saga retries with jittered backoff inside the phase deadline). The SDK's own retries (adaptive mode) handle
 * throttling and 5xx quickly first. Without these the SDK waits on a hung socket forever.
 */

export interface HttpTimeouts {
  /** Milliseconds to wait for an answer to one request attempt (default 30 s). */
  requestTimeoutMs?: number;
  /** Milliseconds to wait for the TCP/TLS connection (default 5 s). */
  connectTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The SDK clients' `requestHandler` option (node-http-handler options; the SDK builds the handler). */
export function awsRequestHandler(t: HttpTimeouts = {}): {
  requestTimeout: number;
  connectionTimeout: number;
  throwOnRequestTimeout: boolean;
} {
  return {
    requestTimeout: t.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    connectionTimeout: t.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // without it, the handler only logs a warning when the request timeout passes and keeps waiting
    throwOnRequestTimeout: true,
  };
}
