/**
 * JSON-RPC error codes: the standard ones, MCP's, and the mux's own.
 *
 * The mux's codes live in the implementation-defined range -32000…-32019 and
 * avoid -32002 (MCP's "resource not found") so a client never confuses a mux
 * condition with a server answer.
 *
 * @module
 */

/** Error codes the mux sends or recognises. */
export const ErrorCode = {
  /** Invalid JSON or invalid UTF-8. */
  ParseError: -32700,
  /** Valid JSON that is not a JSON-RPC 2.0 message, or a batch where none is allowed. */
  InvalidRequest: -32600,
  /** The method is not handled. */
  MethodNotFound: -32601,
  /** Bad parameters (also: stale pagination cursor, bad log level). */
  InvalidParams: -32602,
  /** An internal error. */
  InternalError: -32603,
  /** MCP 2026-07-28: the request's protocol version is not served (`data.supported` lists those that are). */
  UnsupportedProtocolVersion: -32022,
  /** MCP 2026-07-28 over HTTP: a request header disagrees with the body it mirrors (HTTP 400). */
  HeaderMismatch: -32020,
  /** The server is not available: it exited, is restarting, or has failed for good. */
  ServerUnavailable: -32000,
  /** The mux gave up waiting for the server's answer (`--request-timeout-ms`). */
  RequestTimeout: -32001,
  /** Too many requests in flight (`MAX_PENDING`). */
  Overloaded: -32003,
  /** Too many clients connected at once (`--max-active-clients`). */
  TooManyClients: -32004,
  /** A message was larger than the configured limit. */
  MessageTooLarge: -32005,
  /** The mux is shutting down. */
  ShuttingDown: -32006,
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];
