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
 *   deno run -A bench/lib/minimal_router.ts SOCKET COMMAND [ARG...]
 */

const [socket, command, ...args] = Deno.args;
if (!socket || !command) {
  console.error("usage: minimal_router.ts SOCKET COMMAND [ARG...]");
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

interface Route {
  client: Batch;
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
      waiter.client.push(JSON.stringify({ jsonrpc: "2.0", id: waiter.id, result: initResult }));
    }
    return;
  }
  message.id = route.id;
  route.client.push(JSON.stringify(message));
});

function fromClient(client: Batch, line: string): void {
  const message = JSON.parse(line);
  if (message.method === "initialize") {
    if (initResult !== undefined) {
      client.push(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: initResult }));
      return;
    }
    initWaiters.push({ client, id: message.id });
    if (initSent) return;
    initSent = true;
    const id = nextId++;
    routes.set(id, { client, id: INIT });
    message.id = id;
    toServer.push(JSON.stringify(message));
    return;
  }
  if (message.id === undefined) {
    if (message.method === "notifications/initialized") return; // sent once, by us
    toServer.push(line);
    return;
  }
  const id = nextId++;
  routes.set(id, { client, id: message.id });
  message.id = id;
  toServer.push(JSON.stringify(message));
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
  clients.add(client);
  const buffer = new Uint8Array(16 * 1024);
  void eachLine(async () => {
    const n = await conn.read(buffer).catch(() => null);
    return n === null ? null : buffer.subarray(0, n);
  }, (line) => fromClient(client, line)).finally(() => {
    clients.delete(client);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  });
}
