/**
 * A raw Streamable HTTP client for the latency and throughput scenarios:
 * HTTP/1.1 written and parsed by hand over keep-alive TCP connections, one
 * request in flight per connection (a session with `depth` calls in flight
 * holds `depth` connections). No `fetch`, no SDK: like the raw line client
 * on the socket path, it must not be what limits the numbers, so that the
 * difference between the two rows is the mux's own cost per transport.
 *
 * @module
 */

import { CONNECTION_LOST, initializeParams, type Message } from "./ndjson_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One parsed HTTP response. */
interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One keep-alive HTTP/1.1 connection: one request at a time. */
class Connection {
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(16 * 1024);
  /** Bytes of {@link #buffer} read and not yet consumed: `[#start, #end)`. */
  #start = 0;
  #end = 0;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(hostname: string, port: number): Promise<Connection> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new Connection(conn);
  }

  /** Send one request (head without the final blank line, body) and read its response. */
  async roundTrip(head: string, body: string): Promise<HttpResponse> {
    const bytes = encoder.encode(`${head}content-length: ${byteLength(body)}\r\n\r\n${body}`);
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
    return await this.#response();
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #response(): Promise<HttpResponse> {
    let headEnd: number;
    while ((headEnd = this.#find(CRLFCRLF)) === -1) await this.#fill();
    const head = decoder.decode(this.#buffer.subarray(this.#start, headEnd));
    this.#start = headEnd + 4;
    const lines = head.split("\r\n");
    const status = Number(lines[0]!.split(" ", 3)[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    let body: string;
    const length = headers.get("content-length");
    if (length !== undefined) {
      body = await this.#take(Number(length));
    } else if (headers.get("transfer-encoding")?.includes("chunked")) {
      const parts: string[] = [];
      while (true) {
        let lineEnd: number;
        while ((lineEnd = this.#find(CRLF)) === -1) await this.#fill();
        const size = parseInt(decoder.decode(this.#buffer.subarray(this.#start, lineEnd)), 16);
        this.#start = lineEnd + 2;
        const chunk = await this.#take(size + 2);
        if (size === 0) break;
        parts.push(chunk.slice(0, -2));
      }
      body = parts.join("");
    } else {
      throw new Error(`HTTP ${status}: a response without a length (not keep-alive)`);
    }
    return { status, headers, body };
  }

  /** Index of `pattern` in the unread bytes, or -1. */
  #find(pattern: Uint8Array): number {
    const b = this.#buffer;
    outer: for (let i = this.#start; i + pattern.length <= this.#end; i++) {
      for (let j = 0; j < pattern.length; j++) if (b[i + j] !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }

  async #take(n: number): Promise<string> {
    while (this.#end - this.#start < n) await this.#fill();
    const text = decoder.decode(this.#buffer.subarray(this.#start, this.#start + n));
    this.#start += n;
    return text;
  }

  async #fill(): Promise<void> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buffer.length) {
      const unread = this.#end - this.#start;
      const next = unread * 2 > this.#buffer.length
        ? new Uint8Array(this.#buffer.length * 2)
        : this.#buffer;
      next.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = next;
      this.#start = 0;
      this.#end = unread;
    }
    const n = await this.#conn.read(this.#buffer.subarray(this.#end));
    if (n === null) throw new Error("the server closed the connection");
    this.#end += n;
  }
}

const CRLF = encoder.encode("\r\n");
const CRLFCRLF = encoder.encode("\r\n\r\n");

function byteLength(text: string): number {
  // ASCII fast path (the benchmark's messages are ASCII).
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}

/** The JSON-RPC message answering request `id` in a response body (JSON or SSE). */
function answerIn(response: HttpResponse, id: number): Message | undefined {
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    for (const line of response.body.split("\n")) {
      if (!line.startsWith("data: ")) continue;
      const message = JSON.parse(line.slice(6)) as Message;
      if (message.id === id && message.method === undefined) return message;
    }
    return undefined;
  }
  return response.body ? JSON.parse(response.body) as Message : undefined;
}

/**
 * One Streamable HTTP session of the mux, with `connections` keep-alive
 * connections: up to that many requests in flight, more wait for a free one.
 * Same interface as the raw line client for the load and latency loops.
 */
export class RawHttpSession {
  readonly #idle: Connection[];
  readonly #all: Connection[];
  readonly #head: string;
  readonly #waiting: ((connection: Connection) => void)[] = [];
  #nextId = 1;
  #inFlight = 0;
  #closed = false;

  private constructor(connections: Connection[], head: string) {
    this.#idle = [...connections];
    this.#all = connections;
    this.#head = head;
  }

  /**
   * Open a session on `url` (`http://127.0.0.1:PORT/mcp`): `initialize`, then
   * `notifications/initialized`, on `connections` keep-alive connections.
   */
  static async open(
    url: string,
    token: string,
    connections = 1,
    name = "bench-http-raw",
  ): Promise<RawHttpSession> {
    const { hostname, port, pathname, host } = new URL(url);
    const base = `POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\n` +
      "content-type: application/json\r\naccept: application/json, text/event-stream\r\n" +
      `authorization: Bearer ${token}\r\n`;
    const first = await Connection.open(hostname, Number(port));
    const init = await first.roundTrip(
      base,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: initializeParams(name),
      }),
    );
    const sessionId = init.headers.get("mcp-session-id");
    if (init.status !== 200 || !sessionId) {
      first.close();
      throw new Error(`initialize: HTTP ${init.status}: ${init.body.slice(0, 200)}`);
    }
    const head = `${base}mcp-session-id: ${sessionId}\r\nmcp-protocol-version: 2025-06-18\r\n`;
    const done = await first.roundTrip(
      head,
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    );
    if (done.status !== 202) throw new Error(`initialized: HTTP ${done.status}`);
    const all = [first];
    for (let i = 1; i < connections; i++) all.push(await Connection.open(hostname, Number(port)));
    return new RawHttpSession(all, head);
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Send a request; resolves with its answer (or a connection-lost error). */
  async request(method: string, params?: Record<string, unknown>): Promise<Message> {
    if (this.#closed) return lost(null, "closed");
    const id = this.#nextId++;
    const body = params === undefined
      ? `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)}}`
      : `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${
        JSON.stringify(params)
      }}`;
    this.#inFlight++;
    const connection = this.#idle.pop() ??
      await new Promise<Connection>((resolve) => this.#waiting.push(resolve));
    try {
      const response = await connection.roundTrip(this.#head, body);
      const answer = answerIn(response, id);
      if (answer) return answer;
      return {
        jsonrpc: "2.0",
        id,
        error: { code: response.status, message: `HTTP ${response.status} without an answer` },
      };
    } catch (error) {
      this.#closed = true;
      return lost(id, String(error));
    } finally {
      this.#inFlight--;
      const next = this.#waiting.shift();
      if (next) next(connection);
      else this.#idle.push(connection);
    }
  }

  /** Close every connection (the mux reaps the session when it idles out, or at exit). */
  close(): void {
    this.#closed = true;
    for (const connection of this.#all) connection.close();
  }
}

function lost(id: number | null, why: string): Message {
  return {
    jsonrpc: "2.0",
    id,
    error: { code: CONNECTION_LOST, message: `connection lost: ${why}` },
  };
}
