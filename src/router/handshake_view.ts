/**
 * What the server said at the mux's handshake, as the router's features
 * read it: its era and modern revision, its `initialize` result (converted
 * from `server/discover` when modern), capabilities and `serverInfo`, the
 * answer modern clients' `server/discover` gets, the envelope of the mux's
 * own modern requests, and which process said it (the generation). The
 * upstream link records each handshake here; how it is run is
 * `upstream_init.ts`'s and `upstream_handshake.ts`'s.
 *
 * @module
 */

import type { Era } from "./eras.ts";
import type { UpstreamHandshake } from "./upstream_handshake.ts";

/** The server's handshake, read-only but for the link's two records. */
export class HandshakeView {
  readonly #handshake: UpstreamHandshake;
  /** True while the current process is initialized (the link's phase). */
  readonly #ready: () => boolean;
  /**
   * The last handshake's answer in the initialize era's shape; kept until the
   * process goes away, so capabilities and `serverInfo` outlive its readiness.
   */
  #result: Record<string, unknown> | null = null;
  #generation = 0;

  constructor(handshake: UpstreamHandshake, ready: () => boolean) {
    this.#handshake = handshake;
    this.#ready = ready;
  }

  /**
   * The era the server speaks: `null` until its first handshake, then the
   * last known one (also while a restart is in progress).
   */
  get era(): Era | null {
    return this.#handshake.era;
  }

  /** True when the server speaks (or last spoke, during a restart) the modern era. */
  get modern(): boolean {
    return this.#handshake.era === "modern";
  }

  /** The modern revision spoken with the server (meaningful when {@link modern}). */
  get modernVersion(): string {
    return this.#handshake.modernVersion;
  }

  /** The `_meta` envelope of the mux's own modern requests (handshake, health, streams). */
  ownEnvelope(): Record<string, unknown> {
    return this.#handshake.ownEnvelope();
  }

  /**
   * What a modern client's `server/discover` is answered with: the server's
   * own (narrowed) when it is modern, synthesized from its `initialize`
   * answer when it is legacy; `undefined` until the server is ready.
   */
  discoverAnswer(): Record<string, unknown> | undefined {
    return this.#ready() ? this.#handshake.discoverAnswer(this.#result!) : undefined;
  }

  /** Which process this is: 1 for the first one initialized, +1 per restart. */
  get generation(): number {
    return this.#generation;
  }

  /** The server's `initialize` result, once initialized. */
  get initResult(): Record<string, unknown> | null {
    return this.#ready() ? this.#result : null;
  }

  /** The server's capabilities (from its initialize result), once known. */
  get capabilities(): Record<string, unknown> {
    return (this.#result?.capabilities ?? {}) as Record<string, unknown>;
  }

  /** The server's `serverInfo`, once initialized. */
  get serverInfo(): unknown {
    return this.#result?.serverInfo ?? null;
  }

  /** The link's record: a new process answered the handshake with `result` (one generation more). */
  initialized(result: Record<string, unknown>): void {
    this.#result = result;
    this.#generation++;
  }

  /** The link's record: the process is gone, and what it said with it (its era stays known). */
  detached(): void {
    this.#result = null;
  }
}
