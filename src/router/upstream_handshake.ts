/**
 * The mux's own handshake with a server process, in the era the service is
 * set to (`upstream_era`): which request opens it (`initialize` or
 * `server/discover`), what each answer means (ready in an era, switch the
 * same process to 2026-07-28, or failed, in words), and what the mux then
 * knows: the server's era, its `server/discover` answer, and the envelope of
 * the mux's own modern requests. `auto` remembers a modern-only server, so a
 * restarted process is discovered at once. Pure: `upstream_init.ts` sends and
 * times it.
 *
 * @module
 */

import { isErrorResponse, type JsonRpcResponse } from "../jsonrpc/message.ts";
import {
  classifyInitRejection,
  DISCOVER_METHOD,
  type Era,
  META,
  MODERN_PROTOCOL_VERSION,
  type UpstreamEraSetting,
} from "./eras.ts";
import {
  discoverForClients,
  discoverFromInitialize,
  initializeFromDiscover,
  sharedModernVersion,
} from "./era_results.ts";
import { LATEST_PROTOCOL_VERSION } from "./negotiate.ts";

/** Client capabilities the mux declares upstream: it can route all of these. */
export const MUX_CLIENT_CAPABILITIES: Record<string, unknown> = {
  roots: { listChanged: true },
  sampling: { tools: {} },
  elicitation: { form: {}, url: {} },
};

/** One request of the handshake. */
export interface HandshakeStep {
  readonly method: "initialize" | typeof DISCOVER_METHOD;
  readonly params: Record<string, unknown>;
}

/** What an answer to the handshake means. */
export type HandshakeVerdict =
  /** Ready: `result` in the initialize era's shape (converted when modern). */
  | { kind: "ready"; era: Era; result: Record<string, unknown>; protocol: string }
  /** Send this next, on the same process. */
  | { kind: "next"; step: HandshakeStep; why: string }
  /** The handshake failed; `why` in words. */
  | { kind: "failed"; why: string };

/** The handshake's state across a service's processes. */
export class UpstreamHandshake {
  readonly #setting: UpstreamEraSetting;
  readonly #clientInfo: { name: string; version: string };
  readonly #capabilities: Record<string, unknown>;
  #era: Era | null = null;
  #discover: Record<string, unknown> | null = null;
  #learnedModern = false;
  #step: HandshakeStep["method"] = "initialize";

  constructor(
    setting: UpstreamEraSetting,
    clientInfo: { name: string; version: string },
    capabilities: Record<string, unknown>,
  ) {
    this.#setting = setting;
    this.#clientInfo = clientInfo;
    this.#capabilities = capabilities;
  }

  /** The server's era: `null` before its first handshake, then the last known one. */
  get era(): Era | null {
    return this.#era;
  }

  /** The request in flight (for the timeout's words). */
  get step(): HandshakeStep["method"] {
    return this.#step;
  }

  /** The modern revision spoken with the server. */
  get modernVersion(): string {
    return (this.#discover && sharedModernVersion(this.#discover)) ?? MODERN_PROTOCOL_VERSION;
  }

  /** The `_meta` envelope of the mux's own modern requests (handshake, health, streams). */
  ownEnvelope(): Record<string, unknown> {
    return {
      [META.protocolVersion]: this.modernVersion,
      [META.clientCapabilities]: {},
      [META.clientInfo]: this.#clientInfo,
    };
  }

  /** A modern client's `server/discover` answer, given the ready server's initialize-shaped result. */
  discoverAnswer(initResult: Record<string, unknown>): Record<string, unknown> {
    return this.#discover ? discoverForClients(this.#discover) : discoverFromInitialize(initResult);
  }

  /** A new process: the first request of its handshake. */
  first(): HandshakeStep {
    this.#discover = null;
    if (this.#setting === "modern" || this.#learnedModern) return this.#discoverStep();
    this.#step = "initialize";
    return {
      method: "initialize",
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: this.#capabilities,
        clientInfo: this.#clientInfo,
      },
    };
  }

  /** What the server's answer to the step in flight means. */
  answer(response: JsonRpcResponse): HandshakeVerdict {
    return this.#step === DISCOVER_METHOD
      ? this.#discovered(response)
      : this.#initialized(response);
  }

  #initialized(response: JsonRpcResponse): HandshakeVerdict {
    if (isErrorResponse(response)) {
      const rejection = classifyInitRejection(response.error);
      if (rejection.modernOnly && this.#setting === "auto") {
        // The same process, switched to 2026-07-28 (it stays open after refusing).
        this.#learnedModern = true;
        return { kind: "next", step: this.#discoverStep(), why: response.error.message };
      }
      return { kind: "failed", why: rejection.description };
    }
    const result = response.result;
    if (typeof result.protocolVersion !== "string" || !isObject(result.capabilities)) {
      return {
        kind: "failed",
        why: "answered initialize without a protocolVersion and capabilities",
      };
    }
    this.#era = "legacy";
    return { kind: "ready", era: "legacy", result, protocol: result.protocolVersion };
  }

  #discovered(response: JsonRpcResponse): HandshakeVerdict {
    if (isErrorResponse(response)) {
      return {
        kind: "failed",
        why: `refused server/discover: ${response.error.message} (code ${response.error.code})`,
      };
    }
    const result = response.result;
    const version = sharedModernVersion(result);
    if (version === undefined || !isObject(result.capabilities)) {
      const offered = JSON.stringify(result.supportedVersions ?? null);
      return {
        kind: "failed",
        why: "answered server/discover without capabilities or a version the mux speaks " +
          `(it offers ${offered}; the mux speaks ${MODERN_PROTOCOL_VERSION})`,
      };
    }
    this.#discover = result;
    this.#era = "modern";
    return {
      kind: "ready",
      era: "modern",
      result: initializeFromDiscover(result),
      protocol: version,
    };
  }

  #discoverStep(): HandshakeStep {
    this.#step = DISCOVER_METHOD;
    return { method: DISCOVER_METHOD, params: { _meta: this.ownEnvelope() } };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
