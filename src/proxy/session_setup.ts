/**
 * What the host set up in its session, as `rmcp-mux proxy` replays it on a
 * new connection to the mux: its `initialize` (and whether the mux answered
 * it), `notifications/initialized`, its last log level and its resource
 * subscriptions. The {@link SessionMirror} records into it as the host's
 * messages go to the mux, and asks it for the replay. Pure: lines out.
 *
 * @module
 */

import type { Id } from "./line_head.ts";

/** Makes a request on the host's behalf (an id of the proxy's own); returns its line. */
export type AskMux = (method: string, params: Record<string, unknown>) => string;

/** The host's set-up; see the module doc. */
export class SessionSetup {
  /** The host's initialize request (line, id, params). */
  init?: { text: string; id: Id; params: Record<string, unknown> };
  /** The mux answered {@link init} (without an error). */
  initAnswered = false;
  /** The host sent `notifications/initialized`. */
  initialized = false;
  /** Params of the host's last `logging/setLevel`. */
  #logLevel?: Record<string, unknown>;
  /** URIs the host is subscribed to. */
  readonly #subscriptions = new Set<string>();

  /** The host's request went to the mux: remember what it sets up. */
  request(id: Id, method: string, params: Record<string, unknown> | undefined, text: string): void {
    switch (method) {
      case "initialize":
        this.init = { text, id, params: params ?? {} };
        this.initAnswered = false;
        break;
      case "logging/setLevel":
        this.#logLevel = params ?? {};
        break;
      case "resources/subscribe":
        if (typeof params?.uri === "string") this.#subscriptions.add(params.uri);
        break;
      case "resources/unsubscribe":
        if (typeof params?.uri === "string") this.#subscriptions.delete(params.uri);
        break;
    }
  }

  /** The mux answered the host's request `id` for `method` (with an error or not). */
  answered(id: Id, method: string, isError: boolean): void {
    if (method === "initialize" && this.init?.id === id) this.initAnswered = !isError;
  }

  /** A lost request the next connection sends again rather than fails: an unanswered `initialize`. */
  resends(method: string): boolean {
    return method === "initialize" && !this.initAnswered;
  }

  /**
   * The replayed `initialize` was answered (`result`): what the host had set
   * up, for the mux (requests made with `ask`), and `list_changed`
   * notifications for the host (the server behind the new connection may
   * list other things).
   */
  afterInit(
    result: Record<string, unknown> | undefined,
    ask: AskMux,
  ): { toMux: string[]; toHost: string[] } {
    const toMux: string[] = [];
    if (this.initialized) {
      toMux.push(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    }
    if (this.#logLevel) toMux.push(ask("logging/setLevel", this.#logLevel));
    for (const uri of this.#subscriptions) toMux.push(ask("resources/subscribe", { uri }));
    const toHost: string[] = [];
    const capabilities = (result?.capabilities ?? {}) as Record<string, { listChanged?: boolean }>;
    for (const kind of ["tools", "prompts", "resources"]) {
      if (this.initialized && capabilities[kind]?.listChanged) {
        toHost.push(
          JSON.stringify({ jsonrpc: "2.0", method: `notifications/${kind}/list_changed` }),
        );
      }
    }
    return { toMux, toHost };
  }
}
