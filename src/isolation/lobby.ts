/**
 * Where a client of a `roots` or `client` service waits until the pool knows
 * which process is its own. The lobby answers what needs no server at once
 * (`ping`, health, status, the 2026 probe) and keeps everything else, in
 * order and bounded, for the process it will be bound to:
 *
 * - `client` isolation: the first line that needs the server binds the
 *   client to a process of its own; the router there does the rest.
 * - `roots` isolation: a client must be answered `initialize` before it will
 *   answer `roots/list`, so the lobby answers it from the service's handshake
 *   (the first process's `initialize` result: every process runs the same
 *   command), with the same version negotiation and capability filtering as
 *   the router. After `notifications/initialized` it asks the client for its
 *   roots (the mux's own request), then hands it over with them. A client
 *   without the roots capability, or whose answer is an error, has none.
 * - Mode not decided yet (the server's own preference is read from its first
 *   `initialize`): everything waits for that first handshake.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { ErrorCode } from "../jsonrpc/codes.ts";
import type { LineEvent } from "../jsonrpc/framing.ts";
import {
  type Classified,
  classifyLine,
  errorResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  requestOf,
  resultResponse,
} from "../jsonrpc/message.ts";
import { HEALTH_METHOD, HELLO_METHOD, STATUS_METHOD } from "../jsonrpc/mux_methods.ts";
import { turnAway } from "../router/admission.ts";
import { type CloseReason, stoppedMessage } from "../router/upstream_failures.ts";
import { discoverRefusal } from "../router/translate_feature.ts";
import { DISCOVER_METHOD } from "../router/eras.ts";
import { type HealthOutcome, healthWaitMs } from "../router/health_feature.ts";
import { InitializeFeature } from "../router/initialize_feature.ts";
import { CLIENT_REQUEST_TIMEOUT_MS } from "../router/clients.ts";
import type { Root } from "../router/roots.ts";
import { type ClientSession, MAX_WAITING_LINES } from "../router/session.ts";
import type { IsolationMode } from "./known_servers.ts";

/** What the lobby needs from its pool. */
export interface LobbyHost {
  readonly service: string;
  readonly log: Logger;
  /** The service's mode; `undefined` until the server's first handshake decides it. */
  mode(): IsolationMode | undefined;
  /** The service's handshake (a process's `initialize` result), once known. */
  template(): Record<string, unknown> | null;
  /** A client needs the server: make sure a handshake (and a decision) is coming. */
  needServer(): void;
  health(waitMs: number): Promise<HealthOutcome>;
  status(): Record<string, unknown>;
  /** Bind a client to a process as it is (its buffered lines go to that router). */
  bindRaw(session: ClientSession): void;
  /**
   * Bind an initialized client to the process for its roots. `unknown`: it
   * did not list them (an error, or no answer): the process's router asks it
   * again later (see `roots_feature.ts`).
   */
  bindRoots(session: ClientSession, roots: Root[], unknown?: "error" | "timeout"): void;
}

interface Entry {
  session: ClientSession;
  /** What the process will get, in order. */
  buffer: LineEvent[];
  /** `roots`: an `initialize` waiting for the service's handshake. */
  init?: JsonRpcRequest;
  /** `roots`: `initialize` answered by the lobby. */
  answered: boolean;
  /** Handed to the pool; still buffering until taken. */
  binding: boolean;
  askId?: string;
  askTimer?: ReturnType<typeof setTimeout>;
  room?: PromiseWithResolvers<void>;
}

/** Clients not bound to a process yet. */
export class Lobby {
  readonly #host: LobbyHost;
  readonly #entries = new Map<ClientSession, Entry>();
  readonly #init: InitializeFeature;
  #asks = 0;

  constructor(host: LobbyHost) {
    this.#host = host;
    this.#init = new InitializeFeature({
      log: host.log,
      reply: (target, message) => send(target.client, message),
    });
  }

  /** The clients waiting here. */
  get sessions(): ClientSession[] {
    return [...this.#entries.keys()];
  }

  /** True while the client is here (not bound to a process yet). */
  has(session: ClientSession): boolean {
    return this.#entries.has(session);
  }

  /** A client connected (not admitted yet). */
  add(session: ClientSession): void {
    this.#entries.set(session, { session, buffer: [], answered: false, binding: false });
  }

  /** A bound client comes back to wait (it moves to another process): hold its lines. */
  hold(session: ClientSession): void {
    this.#entries.set(session, { session, buffer: [], answered: true, binding: true });
  }

  /** The mux stops (for `reason`): what waits here is answered "shutting down", and why. */
  shutDown(reason: CloseReason): void {
    const service = this.#host.service;
    const message = stoppedMessage(service, reason, "the request was not completed");
    const data = { service, reason };
    for (const entry of this.#entries.values()) {
      const requests = entry.buffer.map((e) => (e.kind === "line" ? requestOf(e.text) : undefined));
      if (entry.init && !entry.answered) requests.push(entry.init);
      for (const request of requests) {
        if (request) {
          send(entry.session, errorResponse(request.id, ErrorCode.ShuttingDown, message, data));
        }
      }
      entry.buffer = [];
      entry.init = undefined;
      clearTimeout(entry.askTimer);
    }
  }

  /** The client got its slot: take what it sent while waiting. */
  admit(session: ClientSession): void {
    if (session.closed || session.admitted) return;
    session.admitted = true;
    const waiting = session.waiting;
    session.waiting = [];
    for (const text of waiting) this.receive(session, { kind: "line", text });
  }

  /** It never got a slot: answer what it asked with `message`, then close it. */
  reject(session: ClientSession, message: string): void {
    const waiting = session.waiting;
    session.waiting = [];
    turnAway(session, waiting, ErrorCode.TooManyClients, message, {
      service: this.#host.service,
    }, "no free client slot");
  }

  /** One framing event from a client that is still here. */
  receive(session: ClientSession, event: LineEvent): void {
    const entry = this.#entries.get(session);
    if (!entry || session.closed) return;
    const message = classified(event);
    if (session.admitted && this.#host.mode() === "shared") {
      // Came before the first handshake decided the mode, and sent nothing since:
      // the shared process's router takes it from here (its probe gets the server's
      // discover answer there, not this lobby's "not ready yet").
      this.#hold(entry, event);
      if (!entry.binding) {
        entry.binding = true;
        this.#host.bindRaw(session);
      }
      return;
    }
    if (message?.kind === "request" && this.#probe(session, message.message)) return;
    if (message?.kind === "notification" && message.message.method === HELLO_METHOD) {
      // `rmcp-mux proxy`'s first line: taken here, never held (it is not the client's
      // first word to its server, nor a reason to bind it before its initialize).
      return session.introduce(message.message.params);
    }
    if (!session.admitted) {
      if (event.kind === "line") session.waiting.push(event.text);
      return;
    }
    if (entry.binding) return this.#hold(entry, event);
    switch (this.#host.mode()) {
      case undefined:
        this.#hold(entry, event);
        return this.#host.needServer();
      case "roots":
        return this.#rootsLine(entry, event, message);
      default:
        this.#hold(entry, event);
        entry.binding = true;
        return this.#host.bindRaw(session);
    }
  }

  /** The mode was just decided: go on with each client as that mode wants. */
  decided(): void {
    for (const entry of [...this.#entries.values()]) {
      if (!entry.session.admitted || entry.binding || entry.buffer.length === 0) continue;
      if (this.#host.mode() !== "roots") {
        // Bound at once, with every line it sent in order (binding takes the whole buffer;
        // re-reading the lines one by one would lose those after the one that binds it).
        entry.binding = true;
        this.#host.bindRaw(entry.session);
        continue;
      }
      const buffered = entry.buffer;
      entry.buffer = [];
      for (const event of buffered) this.receive(entry.session, event);
    }
  }

  /** The service's handshake is known: answer the `initialize`s waiting for it. */
  handshake(template: Record<string, unknown>): void {
    for (const entry of this.#entries.values()) {
      if (!entry.init || entry.answered) continue;
      this.#answerInit(entry, template);
    }
  }

  /** The handshake will not come (the server failed): tell the clients waiting for it. */
  failHandshake(message: string, state: string): void {
    for (const entry of this.#entries.values()) {
      if (!entry.init || entry.answered) continue;
      const data = { service: this.#host.service, state };
      send(entry.session, errorResponse(entry.init.id, ErrorCode.ServerUnavailable, message, data));
      entry.init = undefined;
      this.#settle(entry);
    }
  }

  /**
   * True while a client here waits for the service's first handshake: for
   * the mode (anything it sent), or for the template (`roots`: its `initialize`).
   */
  get waitsForServer(): boolean {
    const undecided = this.#host.mode() === undefined;
    for (const entry of this.#entries.values()) {
      if (!entry.session.admitted || entry.session.closed || entry.binding) continue;
      if ((entry.init && !entry.answered) || (undecided && entry.buffer.length > 0)) return true;
    }
    return false;
  }

  /** Room for more from this client (a bounded buffer while it waits here). */
  hasRoom(session: ClientSession): boolean {
    const entry = this.#entries.get(session);
    return !entry || entry.buffer.length < MAX_WAITING_LINES;
  }

  /** Resolves once {@link hasRoom} may be true again (the client is bound, or gone). */
  waitForRoom(session: ClientSession): Promise<void> {
    const entry = this.#entries.get(session);
    if (!entry || this.hasRoom(session)) return Promise.resolve();
    entry.room ??= Promise.withResolvers<void>();
    return entry.room.promise;
  }

  /** Requests the client sent that wait here, unanswered (its `initialize` included). */
  heldFor(session: ClientSession): number {
    const entry = this.#entries.get(session);
    if (!entry) return 0;
    let held = entry.init && !entry.answered ? 1 : 0;
    for (const event of entry.buffer) if (event.kind === "line" && requestOf(event.text)) held++;
    return held;
  }

  /** The pool bound the client: take what it buffered (in order) and let it go. */
  take(session: ClientSession): LineEvent[] {
    const entry = this.#entries.get(session);
    if (!entry) return [];
    this.#forget(entry);
    return entry.buffer;
  }

  /** The client left before being bound. */
  drop(session: ClientSession): void {
    const entry = this.#entries.get(session);
    if (entry) this.#forget(entry);
  }

  /** `ping`, health, status and the 2026 probe are answered here, bound or not. */
  #probe(session: ClientSession, request: JsonRpcRequest): boolean {
    switch (request.method) {
      case "ping":
        send(session, resultResponse(request.id, {}));
        return true;
      case DISCOVER_METHOD:
        // Before binding, a dual-era client is told to use initialize (as the router tells it
        // before its server is ready); a client pinned to 2026-07-28 is bound at its first
        // request and served by its process's router.
        send(session, discoverRefusal(request.id));
        return true;
      case STATUS_METHOD:
        session.markProbe();
        send(session, resultResponse(request.id, this.#host.status()));
        return true;
      case HEALTH_METHOD:
        session.markProbe();
        void this.#host.health(healthWaitMs(request.params)).then((outcome) => {
          send(
            session,
            outcome.ok
              ? resultResponse(request.id, outcome.result)
              : errorResponse(request.id, ...outcome.error),
          );
        });
        return true;
      default:
        return false;
    }
  }

  #rootsLine(entry: Entry, event: LineEvent, message: Classified | undefined): void {
    if (!entry.answered) {
      if (message?.kind === "request" && message.message.method === "initialize" && !entry.init) {
        entry.init = message.message;
        const template = this.#host.template();
        if (template) return this.#answerInit(entry, template);
        return this.#host.needServer();
      }
      this.#hold(entry, event);
      // Pipelined behind its initialize: wait. Never initializing: it has no roots to ask for.
      if (!entry.init) this.#bind(entry, []);
      return;
    }
    if (
      message?.kind === "notification" && message.message.method === "notifications/initialized"
    ) {
      return this.#askRoots(entry);
    }
    if (message?.kind === "response" && entry.askId !== undefined) {
      if (message.message.id === entry.askId) return this.#gotRoots(entry, message.message);
    }
    this.#hold(entry, event);
  }

  #answerInit(entry: Entry, template: Record<string, unknown>): void {
    const request = entry.init!;
    entry.answered = true;
    this.#init.answer(entry.session, request, template);
    // What it sent behind its initialize (its `initialized`, say) is read now.
    const behind = entry.buffer;
    entry.buffer = [];
    for (const event of behind) {
      if (entry.binding) this.#hold(entry, event);
      else this.#rootsLine(entry, event, classified(event));
    }
    this.#settle(entry);
  }

  /** Nothing of the client's is open any more: a half-closed client may be let go. */
  #settle(entry: Entry): void {
    const session = entry.session;
    if (session.openRequests === 0 && this.heldFor(session) === 0) session.onSettled?.();
  }

  #askRoots(entry: Entry): void {
    const session = entry.session;
    if (session.hello?.capabilities.roots === undefined) return this.#bind(entry, []);
    entry.askId = `rmcp-mux:roots:${++this.#asks}`;
    send(session, { jsonrpc: "2.0", id: entry.askId, method: "roots/list" });
    entry.askTimer = setTimeout(() => {
      this.#host.log.warn("{client} did not list its roots within {seconds} s; it has none", {
        client: session.label,
        seconds: CLIENT_REQUEST_TIMEOUT_MS / 1000,
      });
      this.#bind(entry, [], "timeout");
    }, CLIENT_REQUEST_TIMEOUT_MS);
  }

  #gotRoots(entry: Entry, response: JsonRpcResponse): void {
    const listed = "result" in response ? response.result.roots : undefined;
    const roots = Array.isArray(listed)
      ? (listed as Root[]).filter((r) => typeof r?.uri === "string")
      : [];
    if (!("result" in response)) {
      this.#host.log.debug("{client} did not list its roots: {reason}", {
        client: entry.session.label,
        reason: response.error.message,
      });
      return this.#bind(entry, [], "error");
    }
    this.#bind(entry, roots);
  }

  #bind(entry: Entry, roots: Root[], unknown?: "error" | "timeout"): void {
    if (entry.binding) return;
    clearTimeout(entry.askTimer);
    entry.binding = true;
    if (entry.answered) this.#host.bindRoots(entry.session, roots, unknown);
    else this.#host.bindRaw(entry.session);
  }

  #hold(entry: Entry, event: LineEvent): void {
    entry.buffer.push(event);
  }

  #forget(entry: Entry): void {
    clearTimeout(entry.askTimer);
    this.#entries.delete(entry.session);
    entry.room?.resolve();
  }
}

function classified(event: LineEvent): Classified | undefined {
  return event.kind === "line" ? classifyLine(event.text) : undefined;
}

function send(session: ClientSession, message: unknown): void {
  if (!session.closed) session.port.send(JSON.stringify(message));
}
