/**
 * The floor of a mux in this runtime: the smallest process that does only
 * the work no mux can avoid. Many clients on a Unix socket, one child
 * server; per message: read a line, `JSON.parse`, rewrite the id (a fresh
 * one upstream, the client's own on the way back), `JSON.stringify`, write —
 * writes batched per tick. Nothing else: no limits, no timeouts, no
 * cancellation, no logging, no metrics. The first `initialize` goes to the
 * server; later clients get its answer with their own id (a mux must not
 * initialize a shared server twice).
 *
 * With `--http PORT TOKEN` it also serves Streamable HTTP on 127.0.0.1:PORT,
 * doing only what an HTTP mux on loopback cannot skip: the Host and bearer
 * token checks, the session lookup, reading and parsing the body, the same id
 * rewrite, and the answer as a JSON response (202 for a notification). No
 * SSE, no GET stream, no Accept or protocol-version checks, no limits.
 *
 *   deno run -A bench/lib/minimal_router.ts [--http PORT TOKEN] SOCKET COMMAND [ARG...]
 */

const http = Deno.args[0] === "--http"
  ? { port: Number(Deno.args[1]), token: Deno.args[2]! }
  : undefined;
const [socket, command, ...args] = Deno.args.slice(http ? 3 : 0);
if (!socket || !command) {
  console.error("usage: minimal_router.ts [--http PORT TOKEN] SOCKET COMMAND [ARG...]");
  Deno.exit(2);
}

const encoder = new TextEncoder();

/** Lines queued for one destination, written together once per tick. */
class Batch {
  #lines: string[] = [];
  #writing = false;
  readonly #write: (bytes: Uint8Array) => Promise<unknown>;
  constructor(write: (bytes: Uint8Array) => Promise<unknown>) {
    this.#write = write;
  }
  push(line: string): void {
    this.#lines.push(line);
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => void this.#pump());
    }
  }
  async #pump(): Promise<void> {
    try {
      while (this.#lines.length > 0) {
        const lines = this.#lines;
        this.#lines = [];
        await this.#write(encoder.encode(lines.join("\n") + "\n"));
      }
    } catch {
      this.#lines = [];
    }
    this.#writing = false;
  }
}

async function eachLine(
  read: () => Promise<Uint8Array | null>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  while (true) {
    const chunk = await read();
    if (chunk === null) return;
    buffered += decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = buffered.indexOf("\n", start)) !== -1) {
      const line = buffered.slice(start, nl);
      start = nl + 1;
      if (line.length > 0) onLine(line);
    }
    buffered = buffered.slice(start);
  }
}

const child = new Deno.Command(command, { args, stdin: "piped", stdout: "piped" }).spawn();
const stdin = child.stdin.getWriter();
const toServer = new Batch((bytes) => stdin.write(bytes));

const INIT = Symbol("init");

/** Where an answer goes: a socket client's batch, or an HTTP request's response. */
interface Route {
  deliver: (line: string) => void;
  id: unknown;
}
const routes = new Map<number, Route>();
let nextId = 1;
let initResult: unknown;
let initSent = false;
const initWaiters: Route[] = [];
const clients = new Set<Batch>();

const stdout = child.stdout.getReader();
void eachLine(async () => {
  const { value, done } = await stdout.read();
  return done ? null : value;
}, (line) => {
  const message = JSON.parse(line);
  if (typeof message.id !== "number" || message.method !== undefined) {
    // Notifications (and requests) from the server: everyone hears them.
    for (const client of clients) client.push(line);
    return;
  }
  const route = routes.get(message.id);
  if (!route) return;
  routes.delete(message.id);
  if (route.id === INIT) {
    initResult = message.result;
    toServer.push('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    for (const waiter of initWaiters.splice(0)) {
      waiter.deliver(JSON.stringify({ jsonrpc: "2.0", id: waiter.id, result: initResult }));
    }
    return;
  }
  message.id = route.id;
  route.deliver(JSON.stringify(message));
});

/**
 * One parsed message from a client; answers go to `deliver`. False for a
 * message that gets no answer (a notification).
 */
function fromClient(message: Record<string, unknown>, line: string, deliver: Route["deliver"]) {
  if (message.method === "initialize") {
    if (initResult !== undefined) {
      deliver(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: initResult }));
      return true;
    }
    initWaiters.push({ deliver, id: message.id });
    if (initSent) return true;
    initSent = true;
    const id = nextId++;
    routes.set(id, { deliver: () => {}, id: INIT });
    message.id = id;
    toServer.push(JSON.stringify(message));
    return true;
  }
  if (message.id === undefined) {
    // notifications/initialized was sent once, by us.
    if (message.method !== "notifications/initialized") toServer.push(line);
    return false;
  }
  const id = nextId++;
  routes.set(id, { deliver, id: message.id });
  message.id = id;
  toServer.push(JSON.stringify(message));
  return true;
}

if (http) {
  const host = `127.0.0.1:${http.port}`;
  const bearer = `Bearer ${http.token}`;
  const sessions = new Set<string>();
  const json = { "content-type": "application/json" };
  const refuse = (status: number) => new Response(null, { status });
  Deno.serve({ hostname: "127.0.0.1", port: http.port, onListen() {} }, async (request) => {
    const headers = request.headers;
    if (headers.get("host") !== host) return refuse(403);
    if (request.method !== "POST") return refuse(405); // no GET stream, no DELETE
    if (headers.get("authorization") !== bearer) return refuse(401);
    const session = headers.get("mcp-session-id");
    if (session !== null && !sessions.has(session)) return refuse(404);
    const line = await request.text();
    const message = JSON.parse(line);
    if (session === null) {
      if (message.method !== "initialize") return refuse(400);
      const id = crypto.randomUUID();
      sessions.add(id);
      return new Promise<Response>((resolve) =>
        fromClient(
          message,
          line,
          (answer) => resolve(new Response(answer, { headers: { ...json, "mcp-session-id": id } })),
        )
      );
    }
    let answered: Response | undefined;
    const response = new Promise<Response>((resolve) => {
      const wants = fromClient(
        message,
        line,
        (answer) => resolve(new Response(answer, { headers: json })),
      );
      if (!wants) answered = refuse(202);
    });
    return answered ?? response;
  });
}

const listener = Deno.listen({ transport: "unix", path: socket });
Deno.addSignalListener("SIGTERM", () => {
  listener.close();
  Deno.removeSync(socket);
  Deno.exit(0);
});
for await (const conn of listener) {
  const client = new Batch(async (bytes) => {
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  });
  const deliver = (line: string) => client.push(line);
  clients.add(client);
  const buffer = new Uint8Array(16 * 1024);
  void eachLine(async () => {
    const n = await conn.read(buffer).catch(() => null);
    return n === null ? null : buffer.subarray(0, n);
  }, (line) => void fromClient(JSON.parse(line), line, deliver)).finally(() => {
    clients.delete(client);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  });
}
