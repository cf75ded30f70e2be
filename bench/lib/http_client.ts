/**
 * A raw Streamable HTTP client for the memory figures: open a session
 * (initialize, initialized), hold its GET stream, make a verified call.
 * Everything else is measured with the SDK's own client.
 *
 * @module
 */

/**
 * At most one idle keep-alive connection: sessions opened one after the other
 * share it, so the memory measured is the sessions', not that of a pool of
 * connections (or of the allocator churn of opening hundreds).
 */
const client = Deno.createHttpClient({ poolMaxIdlePerHost: 1 });
const post = (url: string, init: RequestInit) => fetch(url, { ...init, client });

/** One HTTP session of the mux. */
export class HttpSessionClient {
  readonly url: string;
  readonly #headers: Record<string, string>;
  #stream: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #next = 1;

  private constructor(url: string, headers: Record<string, string>) {
    this.url = url;
    this.#headers = headers;
  }

  /** Initialize a session (and send `initialized`). */
  static async open(url: string, token: string): Promise<HttpSessionClient> {
    const base = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
    };
    const init = await post(url, {
      method: "POST",
      headers: base,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-11-25",
          capabilities: {},
          clientInfo: { name: "bench-http", version: "1" },
        },
      }),
    });
    const id = init.headers.get("mcp-session-id");
    await init.body?.cancel();
    if (init.status !== 200 || !id) throw new Error(`initialize: HTTP ${init.status}`);
    const client = new HttpSessionClient(url, {
      ...base,
      "mcp-session-id": id,
      "mcp-protocol-version": "2025-11-25",
    });
    const done = await post(url, {
      method: "POST",
      headers: client.#headers,
      body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    });
    await done.body?.cancel();
    if (done.status !== 202) throw new Error(`initialized: HTTP ${done.status}`);
    return client;
  }

  /** Open the session's GET stream and keep it (reads its first event). */
  async hold(): Promise<void> {
    const response = await fetch(this.url, {
      headers: { ...this.#headers, accept: "text/event-stream" },
    });
    if (response.status !== 200 || !response.body) throw new Error(`GET: HTTP ${response.status}`);
    this.#stream = response.body.getReader();
    await this.#stream.read();
  }

  /** Call `echo` and return the text it answered. */
  async echo(message: string): Promise<string | undefined> {
    const response = await post(this.url, {
      method: "POST",
      headers: this.#headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: this.#next++,
        method: "tools/call",
        params: { name: "echo", arguments: { message } },
      }),
    });
    const text = await response.text();
    const json = response.headers.get("content-type")?.startsWith("application/json")
      ? text
      : text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).at(-1);
    const result = JSON.parse(json ?? "{}").result as { content?: { text?: string }[] };
    return result?.content?.[0]?.text;
  }

  /** End the session (DELETE) and its stream. */
  async close(): Promise<void> {
    await this.#stream?.cancel().catch(() => {});
    const response = await post(this.url, { method: "DELETE", headers: this.#headers })
      .catch(() => undefined);
    await response?.body?.cancel();
  }
}
