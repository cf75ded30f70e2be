/**
 * In-memory ports for router tests: fake clients and a fake upstream that
 * record what the router sends them.
 */

import type { LineEvent } from "../../src/jsonrpc/framing.ts";
import { Router } from "../../src/router/router.ts";
import type { RouterOptions } from "../../src/router/router_options.ts";
import type { ClientPort, ClientSession } from "../../src/router/session.ts";
import type { UpstreamPort } from "../../src/router/upstream_options.ts";
import { FakeClock } from "./fake_clock.ts";

// deno-lint-ignore no-explicit-any
export type Msg = any;

/** Records parsed messages and lets a test await the next matching one. */
class Recorder {
  readonly sent: Msg[] = [];
  #waiters: (() => void)[] = [];
  send(line: string): void {
    this.sent.push(JSON.parse(line));
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
  /** Resolves with the first queued message matching `predicate` (removed from the queue). */
  async next(predicate: (m: Msg) => boolean = () => true): Promise<Msg> {
    while (true) {
      const index = this.sent.findIndex(predicate);
      if (index !== -1) return this.sent.splice(index, 1)[0];
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
  /** Messages received and not yet taken. */
  take(): Msg[] {
    return this.sent.splice(0);
  }
}

export class FakeClient extends Recorder implements ClientPort {
  closedWith: string | undefined;
  session!: ClientSession;
  close(reason: string): void {
    this.closedWith = reason;
  }
  /** The single answer with this id. */
  answer(id: unknown): Msg {
    const found = this.sent.filter((m) => !Array.isArray(m) && m.id === id && !m.method);
    if (found.length !== 1) {
      throw new Error(`expected one answer to ${JSON.stringify(id)}, got ${found.length}`);
    }
    return found[0];
  }
}

export class FakeUpstream extends Recorder implements UpstreamPort {
  pending = 0;
  /** The last request sent with this method. */
  last(method: string): Msg {
    const found = this.sent.filter((m) => m.method === method);
    if (found.length === 0) throw new Error(`no ${method} sent upstream`);
    return found[found.length - 1];
  }
}

export const line = (message: unknown): LineEvent => ({
  kind: "line",
  text: JSON.stringify(message),
});

export const UPSTREAM_RESULT = {
  protocolVersion: "2025-11-25",
  capabilities: { tools: { listChanged: true }, prompts: {}, resources: { listChanged: true } },
  serverInfo: { name: "upstream", version: "9.9.9" },
  instructions: "be nice",
};

/** A modern server's `server/discover` answer. */
export const DISCOVER_RESULT = {
  resultType: "complete",
  supportedVersions: ["2026-07-28"],
  capabilities: {
    tools: { listChanged: true },
    resources: { subscribe: true, listChanged: true },
    logging: {},
    extensions: { "com.example/x": {} },
  },
  instructions: "be modern",
  ttlMs: 0,
  cacheScope: "private",
  _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern-upstream", version: "2.0.0" } },
};

/** The `_meta` keys of the modern envelope and streams. */
export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

export interface Harness {
  router: Router;
  /** The router's clock: time moves only with `clock.advance(ms)`. */
  clock: FakeClock;
  upstream: FakeUpstream;
  client(admit?: boolean): FakeClient;
  /** Answer the mux's pending upstream initialize. */
  answerInit(result?: Record<string, unknown>): void;
  /**
   * Make the upstream a modern one: refuse the mux's initialize as
   * modern-only (auto) when there is one, then answer its `server/discover`.
   */
  answerDiscover(result?: Record<string, unknown>): void;
  /** Initialize a client (after the upstream is ready); consumes and returns the answer. */
  initClient(
    client: FakeClient,
    protocolVersion?: string,
    id?: unknown,
    capabilities?: Record<string, unknown>,
  ): Msg;
  /**
   * A new client, admitted and initialized (upstream ready), with nothing
   * left to read: the common start of a routing test.
   */
  initialized(protocolVersion?: string, capabilities?: Record<string, unknown>): FakeClient;
  /** Wait for the mux to send `method` upstream, answer it, and return the request. */
  answerUpstream(method: string, answer: { result?: unknown; error?: unknown }): Promise<Msg>;
  /** A server → mux message. */
  fromServer(message: unknown): void;
  /** A client → mux message. */
  fromClient(client: FakeClient, message: unknown): void;
  broken: string[];
  [Symbol.dispose](): void;
}

export function harness(options: Partial<RouterOptions> = {}, attach = true): Harness {
  const broken: string[] = [];
  const clock = new FakeClock();
  const router = new Router({
    clock,
    service: "svc",
    requestTimeoutMs: 0,
    initTimeoutMs: 60_000,
    clientInfo: { name: "rmcp-mux", version: "0.0.0" },
    onUpstreamBroken: (reason) => broken.push(reason),
    ...options,
  });
  const upstream = new FakeUpstream();
  if (attach) router.attachUpstream(upstream);
  const h: Harness = {
    router,
    clock,
    upstream,
    broken,
    client(admit = true) {
      const client = new FakeClient();
      client.session = router.connect(client);
      if (admit) router.admit(client.session);
      return client;
    },
    answerInit(result = UPSTREAM_RESULT) {
      const init = upstream.last("initialize");
      router.upstreamReceive(line({ jsonrpc: "2.0", id: init.id, result }));
    },
    answerDiscover(result = DISCOVER_RESULT) {
      const init = upstream.sent.find((m) => m.method === "initialize" && !m.answered);
      if (init) {
        init.answered = true;
        router.upstreamReceive(line({
          jsonrpc: "2.0",
          id: init.id,
          error: {
            code: -32022,
            message: "Unsupported protocol version: 2025-11-25",
            data: { supported: ["2026-07-28"], requested: "2025-11-25" },
          },
        }));
      }
      const discover = upstream.last("server/discover");
      router.upstreamReceive(line({ jsonrpc: "2.0", id: discover.id, result }));
    },
    initClient(client, protocolVersion = "2025-11-25", id = "init", capabilities = {}) {
      h.fromClient(client, {
        jsonrpc: "2.0",
        id,
        method: "initialize",
        params: { protocolVersion, capabilities, clientInfo: { name: "c", version: "1" } },
      });
      h.fromClient(client, { jsonrpc: "2.0", method: "notifications/initialized" });
      const answer = client.answer(id);
      client.sent.splice(client.sent.indexOf(answer), 1);
      return answer;
    },
    initialized(protocolVersion, capabilities) {
      const client = h.client();
      h.initClient(client, protocolVersion, "init", capabilities);
      client.take();
      return client;
    },
    fromServer(message) {
      router.upstreamReceive(line(message));
    },
    async answerUpstream(method, answer) {
      const request = await upstream.next((m) => m.method === method && m.id !== undefined);
      router.upstreamReceive(line({ jsonrpc: "2.0", id: request.id, ...answer }));
      return request;
    },
    fromClient(client, message) {
      router.receive(client.session, line(message));
    },
    [Symbol.dispose]() {
      router.close();
    },
  };
  return h;
}

/** A harness whose upstream is modern (discovered), with nothing left to read upstream. */
export function modernHarness(options: Partial<RouterOptions> = {}): Harness {
  const h = harness(options);
  h.answerDiscover();
  h.upstream.take();
  return h;
}

/** A harness whose upstream is already initialized, with nothing left to read upstream. */
export function readyHarness(options: Partial<RouterOptions> = {}): Harness {
  const h = harness(options);
  h.answerInit();
  h.upstream.take();
  return h;
}

// ── Messages tests send ───────────────────────────────────────────────────

/** A client's `tools/call`. */
export const call = (id: unknown, name = "echo", extra: Record<string, unknown> = {}): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {}, ...extra },
});

/** A client's `resources/subscribe`. */
export const subscribe = (id: unknown, uri: string): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "resources/subscribe",
  params: { uri },
});

/** A client's `resources/unsubscribe`. */
export const unsubscribe = (id: unknown, uri: string): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "resources/unsubscribe",
  params: { uri },
});

/** The server's `notifications/resources/updated`. */
export const updated = (uri: string): Msg => ({
  jsonrpc: "2.0",
  method: "notifications/resources/updated",
  params: { uri },
});

/** A client's `logging/setLevel`. */
export const setLevel = (id: unknown, level: string): Msg => ({
  jsonrpc: "2.0",
  id,
  method: "logging/setLevel",
  params: { level },
});

/** The server's `notifications/message` at `level`. */
export const logMessage = (level: string): Msg => ({
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level, data: `${level} message` },
});
