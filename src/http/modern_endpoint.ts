/**
 * The Streamable HTTP transport of MCP 2026-07-28 on the same endpoints as
 * the session-based one: no session, no GET stream, no resuming. Every
 * request is a POST whose headers must agree with its body; it gets its own
 * client of the mux ({@link StatelessClient}) and its answer on its own
 * response; closing that response cancels it (upstream too). A listen is a
 * POST whose stream stays open. The retry of an `input_required` answer
 * reaches the client that holds the server's call (parked under the handle
 * it echoes). Bounded: `http.max_requests` POSTs held open at once, over
 * every service (listens and calls waiting for a retry count).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { JsonRpcId, JsonRpcRequest } from "../jsonrpc/message.ts";
import { MRTR_HANDLE_TTL_MS } from "../router/mrtr_bridge.ts";
import type { HttpService } from "./endpoint.ts";
import { checkModernHeaders, type ParamHeader, paramHeadersOf } from "./modern_headers.ts";
import { ModernCall } from "./modern_call.ts";
import { KEEPALIVE_MS } from "./session_table.ts";
import { StatelessClient } from "./stateless_client.ts";
import { errorReply } from "./wire.ts";

/** Tools per service whose mirrored parameters (`x-mcp-header`) are remembered. */
export const MAX_TOOLS_REMEMBERED = 10_000;

/** Settings of a {@link ModernEndpoint}. */
export interface ModernOptions {
  /** POSTs held open at once, over every service. */
  maxRequests: number;
  log: Logger;
  now?: () => number;
}

/** Serves the 2026-07-28 POSTs of every service of a listener. */
export class ModernEndpoint {
  readonly #o: ModernOptions;
  readonly #now: () => number;
  /** Every client held: calls in flight, listens, calls parked for their retry. */
  readonly #clients = new Set<StatelessClient>();
  /** Parked clients by service and handle (`requestState`). */
  readonly #parked = new Map<string, StatelessClient>();
  /** Per service: tool name → the parameters it mirrors into headers (learned from tools/list). */
  readonly #tools = new Map<string, Map<string, ParamHeader[]>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: ModernOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** POSTs held open now (calls, listens, calls waiting for their retry). */
  get size(): number {
    return this.#clients.size;
  }

  /** The limit. */
  get max(): number {
    return this.#o.maxRequests;
  }

  /**
   * One request POSTed without a session, in the modern era (`text` parsed
   * as `value`). The headers were not checked yet; the body's size, type and
   * shape were.
   */
  async post(
    request: Request,
    service: HttpService,
    message: JsonRpcRequest,
    text: string,
    value: unknown,
  ): Promise<Response> {
    const id = message.id;
    const refusal = checkModernHeaders(
      request.headers,
      message,
      this.#paramHeaders(service, message),
    );
    if (refusal) return errorReply(400, refusal.code, refusal.message, {}, id);
    if (this.#closed || service.closing) {
      return errorReply(
        503,
        ErrorCode.ShuttingDown,
        `Service "${service.service}" is shutting down; try again when it is back`,
        {},
        id,
      );
    }
    const state = message.params?.requestState;
    const subject = message.params?.name ?? message.params?.uri;
    const parked = typeof state === "string"
      ? this.#unpark(service, state, message, subject)
      : undefined;
    if (parked instanceof Response) return parked;
    if (!parked && this.#clients.size >= this.#o.maxRequests) return this.#full(id);
    const client = parked ?? this.#open(service);
    const call = new ModernCall(id, message.method, {
      now: this.#now,
      maxQueuedBytes: service.options.maxClientBacklogBytes,
      onGone: (gone, stalled) => this.#gone(client, gone, stalled),
    }, { subject });
    await client.begin(call, text, value);
    return call.response;
  }

  /** End everything (the listener closes). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of [...this.#clients]) client.close("mux shutting down");
    this.#stopTimer();
  }

  /** Keep quiet streams alive; let parked calls whose retry never came go. (Run by the timer.) */
  sweep(): void {
    const now = this.#now();
    for (const client of [...this.#clients]) {
      if (client.parked && client.parked.until <= now) {
        this.#o.log.info(
          "{client} did not retry its call within {seconds} s; ended it (its server call is cancelled)",
          { client: client.label, seconds: MRTR_HANDLE_TTL_MS / 1000 },
        );
        client.end();
      } else {
        client.call?.keepalive(KEEPALIVE_MS);
      }
    }
  }

  #open(service: HttpService): StatelessClient {
    const client: StatelessClient = new StatelessClient(service, {
      log: this.#o.log,
      answered: (answered, call, line) => this.#answered(answered, call, line),
      ended: (ended) => this.#ended(ended),
    });
    client.attach(service.openClient(client, "http"));
    this.#clients.add(client);
    this.#timer ??= setInterval(() => this.sweep(), KEEPALIVE_MS);
    return client;
  }

  #answered(client: StatelessClient, call: ModernCall, line: string): void {
    if (call.method === "tools/list") this.#learn(client.service.service, line);
    const state = call.method === "subscriptions/listen" ? undefined : heldState(line);
    // A modern server keeps nothing between rounds: its retry may come to any client.
    if (state !== undefined && client.service.upstreamEra !== "modern" && !this.#closed) {
      return this.#park(client, state);
    }
    client.end();
  }

  #park(client: StatelessClient, state: string): void {
    const key = `${client.service.service}\n${state}`;
    const other = this.#parked.get(key);
    if (other && other !== client) other.end();
    const call = client.call!;
    client.parked = {
      state,
      until: this.#now() + MRTR_HANDLE_TTL_MS,
      method: call.method,
      subject: call.subject,
    };
    this.#parked.set(key, client);
  }

  /**
   * The parked client whose handle a retry echoes. A retry of another call
   * is refused here and the client stays parked for its own: a handle
   * never opens someone else's call.
   */
  #unpark(
    service: HttpService,
    state: string,
    request: JsonRpcRequest,
    subject: unknown,
  ): StatelessClient | Response | undefined {
    const key = `${service.service}\n${state}`;
    const client = this.#parked.get(key);
    if (!client?.parked || client.service !== service || client.ended) return undefined;
    if (client.parked.method !== request.method || client.parked.subject !== subject) {
      return errorReply(
        200,
        ErrorCode.InvalidParams,
        `Invalid params: this requestState belongs to another call (${client.parked.method} ` +
          `${JSON.stringify(client.parked.subject)}); retry that call with it`,
        {},
        request.id,
      );
    }
    this.#parked.delete(key);
    return client;
  }

  #ended(client: StatelessClient): void {
    this.#clients.delete(client);
    for (const [key, parked] of this.#parked) if (parked === client) this.#parked.delete(key);
    if (this.#clients.size === 0) this.#stopTimer();
  }

  /** The client closed the response before the answer (or stopped reading it). */
  #gone(client: StatelessClient, call: ModernCall, stalled: boolean): void {
    if (client.call !== call) return;
    if (stalled) {
      this.#o.log.warn(
        "{client} is not reading its {method} stream: more than {bytes} bytes queued; " +
          "closed it (the request is cancelled)",
        {
          client: client.label,
          method: call.method,
          bytes: client.service.options.maxClientBacklogBytes,
        },
      );
    } else {
      this.#o.log.debug("{client} closed its {method} stream: the request is cancelled", {
        client: client.label,
        method: call.method,
      });
    }
    client.end();
  }

  #full(id: JsonRpcId): Response {
    this.#o.log.warn(
      "HTTP request refused: {count} 2026-07-28 requests held open (http.max_requests)",
      {
        count: this.#clients.size,
      },
    );
    return errorReply(
      503,
      ErrorCode.TooManyClients,
      `Too many 2026-07-28 requests held open: ${this.#clients.size} (http.max_requests ` +
        `${this.#o.maxRequests}; calls in flight, listens and calls waiting for their retry ` +
        "count). Retry shortly, close unused listens, or raise --http-max-requests",
      { "retry-after": "5" },
      id,
    );
  }

  /** The parameters the called tool mirrors into headers, when its schema was seen. */
  #paramHeaders(service: HttpService, message: JsonRpcRequest): ParamHeader[] | undefined {
    if (message.method !== "tools/call") return undefined;
    const name = message.params?.name;
    return typeof name === "string" ? this.#tools.get(service.service)?.get(name) : undefined;
  }

  /** Remember which parameters each listed tool mirrors into headers. */
  #learn(service: string, line: string): void {
    const known = this.#tools.get(service);
    if (!known && !line.includes("x-mcp-header")) return;
    let tools: unknown;
    try {
      tools = (JSON.parse(line) as { result?: { tools?: unknown } }).result?.tools;
    } catch {
      return;
    }
    if (!Array.isArray(tools)) return;
    const map = known ?? new Map<string, ParamHeader[]>();
    for (const tool of tools) {
      const name = (tool as { name?: unknown } | null)?.name;
      if (typeof name !== "string") continue;
      const params = paramHeadersOf((tool as { inputSchema?: unknown }).inputSchema);
      map.delete(name);
      if (params.length === 0) continue;
      if (map.size >= MAX_TOOLS_REMEMBERED) map.delete(map.keys().next().value!);
      map.set(name, params);
    }
    if (map.size > 0) this.#tools.set(service, map);
    else this.#tools.delete(service);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The handle of an `input_required` answer (`requestState`), if the line is one. */
function heldState(line: string): string | undefined {
  if (!line.includes('"input_required"')) return undefined;
  try {
    const result = (JSON.parse(line) as { result?: Record<string, unknown> }).result;
    const state = result?.resultType === "input_required" ? result.requestState : undefined;
    return typeof state === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}
