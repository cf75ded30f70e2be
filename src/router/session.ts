/**
 * What the router knows about one connected client.
 *
 * @module
 */

import type { JsonRpcId } from "../jsonrpc/message.ts";
import type { ReplyTarget } from "./client_to_server.ts";
import type { Era } from "./eras.ts";

/** How the router talks back to a client: the connection layer implements it. */
export interface ClientPort {
  /** Queue one serialized JSON-RPC message (no newline) to the client. */
  send(line: string): void;
  /**
   * Queue the answer to the client's request `id` (optional). A transport that
   * must know which request a message answers (HTTP: the answer goes on that
   * request's own response) implements it and is spared parsing the answer;
   * without it the answer goes through {@link send}.
   */
  reply?(id: JsonRpcId | null, line: string): void;
  /** Close the connection; `reason` is for the log. */
  close(reason: string): void;
  /**
   * True for a client made for single requests (a 2026-07-28 POST over
   * HTTP): `client` isolation refuses it rather than start a process for it.
   */
  readonly perRequest?: boolean;
}

/** How a client reaches the mux: its socket, `rmcp-mux proxy` (over the socket), or HTTP. */
export type ClientTransport = "socket" | "http" | "proxy";

/** What a client said about itself in `initialize`. */
export interface ClientHello {
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly clientInfo: { name?: string; version?: string; [key: string]: unknown };
}

/** Lines a client may send before it is admitted (`--max-active-clients`), then reads pause. */
export const MAX_WAITING_LINES = 64;

/** One client connection, as the router sees it. */
export class ClientSession {
  /** Small sequential number, unique within one mux: for logs and status. */
  readonly id: number;
  readonly port: ClientPort;
  /** The target for replies that are not part of a batch (shared, no allocation). */
  readonly target: ReplyTarget<ClientSession>;
  /** False while the client waits for a free slot. */
  admitted = false;
  /** Lines received before admission, processed in order once admitted. */
  waiting: string[] = [];
  /** Set once the client got its `initialize` answer. */
  hello: ClientHello | undefined;
  /** The protocol version the client was given (2026-07-28 for a modern client). */
  protocolVersion: string | undefined;
  /**
   * Its protocol era, pinned by its first request: `initialize` pins legacy,
   * a request with a 2026-07-28 `_meta` envelope pins modern; `undefined`
   * before either (a `server/discover` probe pins nothing).
   */
  era: Era | undefined;
  /** What a modern client said about itself in its latest request's envelope. */
  modernInfo: { name?: string; version?: string; [key: string]: unknown } | undefined;
  /** Set when the connection is gone. */
  closed = false;
  /** Sequence number of its latest request forwarded upstream (higher is more recent). */
  lastRequest = 0;
  /** Requests received and not yet answered (or cancelled by the client). */
  openRequests = 0;
  /** Called when `openRequests` drops to zero (set while the client half-closed). */
  onSettled: (() => void) | undefined;
  /** It asked for health or status before any `initialize`: a probe, not a client. */
  probe = false;
  /** How it is connected (`proxy` once `rmcp-mux proxy` said so in its first line). */
  transport: ClientTransport;
  /** When it connected (ms since epoch). */
  readonly connectedAt: number;
  /** Requests received from it since it connected. */
  requests = 0;

  constructor(
    id: number,
    port: ClientPort,
    transport: ClientTransport = "socket",
    now: number = Date.now(),
  ) {
    this.id = id;
    this.port = port;
    this.target = { client: this };
    this.transport = transport;
    this.connectedAt = now;
  }

  /** True while it may be read: admitted, or waiting with room in its buffer. */
  get readable(): boolean {
    return this.admitted || this.waiting.length < MAX_WAITING_LINES;
  }

  /**
   * It asked for health or status. Before any `initialize` that makes the
   * connection a probe (`rmcp-mux health`, `status`, a monitor), not a client.
   */
  markProbe(): void {
    if (!this.initialized) this.probe = true;
  }

  /**
   * Its `rmcp-mux/hello` (consumed by the mux, never forwarded nor answered).
   * Only a socket connection can be `rmcp-mux proxy`; an HTTP session stays what it is.
   */
  introduce(params: Record<string, unknown> | undefined): void {
    if (params?.transport === "proxy" && this.transport === "socket") this.transport = "proxy";
    // A proxy that says so drops empty lines (older ones pass them to their host).
    this.dropsEmptyLines = this.transport === "proxy" && params?.emptyLines === "dropped";
  }

  /** Its hello said it drops empty lines: the mux may probe it with one (see server/connection.ts). */
  dropsEmptyLines = false;

  /** True for a connection counted as a client (everything but an uninitialized probe). */
  get counted(): boolean {
    return !this.probe || this.hello !== undefined;
  }

  /** True once the client has completed `initialize`. */
  get initialized(): boolean {
    return this.hello !== undefined;
  }

  /** A short label for logs: `client 3 (claude-code 1.2.0)`. */
  get label(): string {
    const info = this.hello?.clientInfo ?? this.modernInfo;
    return info?.name
      ? `client ${this.id} (${info.name} ${info.version ?? ""})`.replace(" )", ")")
      : `client ${this.id}`;
  }
}
