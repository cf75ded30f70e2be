/**
 * The mux's handshake with the current server process, in flight: it sends
 * each step (`initialize`, or `server/discover`, also after a refusal) under
 * an id of the mux's own, keeps the step's deadline in the router's sweeper,
 * and restarts a server that does not answer in time. What each answer
 * means is `upstream_handshake.ts`'s; what follows from the outcome (ready,
 * or failed) is `upstream_link.ts`'s phase machine.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { JsonRpcResponse } from "../jsonrpc/message.ts";
import type { MuxToServerTable } from "./mux_to_server.ts";
import type { HandshakeStep, UpstreamHandshake } from "./upstream_handshake.ts";
import type { UpstreamPort, UpstreamSettings } from "./upstream_options.ts";

/** What the handshake in flight needs from the link, and what it tells it. */
export interface UpstreamInitOptions {
  /** The link's settings (live: a reload changes the timeout in place). */
  settings: UpstreamSettings;
  handshake: UpstreamHandshake;
  /** Where the handshake's ids come from (the mux's own requests). */
  own: MuxToServerTable;
  log: Logger;
  now: () => number;
  armSweep: (deadline: number) => void;
  /** The server answered the handshake: `result` in the initialize era's shape. */
  ready: (result: Record<string, unknown>, protocol: string) => void;
  /** The server refused the handshake, or answered it wrongly; `why` in words. */
  failed: (why: string) => void;
}

/** The handshake request in flight, and its deadline. */
export class UpstreamInit {
  readonly #o: UpstreamInitOptions;
  #id: string | null = null;
  #deadline = Infinity;

  constructor(options: UpstreamInitOptions) {
    this.#o = options;
  }

  /** When the step in flight times out (`Infinity`: none is timed). */
  get deadline(): number {
    return this.#deadline;
  }

  /** Open the handshake on `port`. */
  begin(port: UpstreamPort): void {
    this.#send(port, this.#o.handshake.first());
  }

  /** True when `id` is the handshake request in flight. */
  owns(id: string): boolean {
    return id === this.#id;
  }

  /** An answer to the handshake request in flight. */
  answer(port: UpstreamPort | null, response: JsonRpcResponse): void {
    this.#deadline = Infinity;
    this.#id = null;
    const verdict = this.#o.handshake.answer(response);
    switch (verdict.kind) {
      case "failed":
        return this.#o.failed(verdict.why);
      case "next":
        this.#o.log.info(
          "Server {service} speaks only MCP 2026-07-28 ({reason}); switching to server/discover",
          { service: this.#o.settings.service, reason: verdict.why },
        );
        return this.#send(port!, verdict.step);
      case "ready":
        if (verdict.era === "legacy") {
          port!.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
        }
        return this.#o.ready(verdict.result, verdict.protocol);
    }
  }

  /** Time nothing any more (the server failed for good, or the mux is stopping). */
  stopTimer(): void {
    this.#deadline = Infinity;
  }

  /** The process is gone: nothing is in flight. */
  reset(): void {
    this.#id = null;
    this.#deadline = Infinity;
  }

  /** Past the deadline: the server is stuck; have it restarted. */
  sweep(now: number): void {
    if (this.#deadline > now) return;
    this.#deadline = Infinity;
    const reason = `it did not answer ${this.#o.handshake.step} within ${
      this.#o.settings.initTimeoutMs / 1000
    } s`;
    this.#o.log.error("Server {service} is stuck: {reason}; restarting it", {
      service: this.#o.settings.service,
      reason,
    });
    this.#o.settings.onUpstreamBroken?.(reason);
  }

  /** One request of the handshake: `initialize`, or `server/discover` (also after a refusal). */
  #send(port: UpstreamPort, step: HandshakeStep): void {
    this.#id = this.#o.own.nextId(step.method === "initialize" ? "init" : "discover");
    port.send(JSON.stringify({
      jsonrpc: "2.0",
      id: this.#id,
      method: step.method,
      params: step.params,
    }));
    this.#deadline = this.#o.now() + this.#o.settings.initTimeoutMs;
    this.#o.armSweep(this.#deadline);
  }
}
