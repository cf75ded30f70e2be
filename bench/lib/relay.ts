/**
 * The baseline: a plain byte relay between a Unix socket and a child's
 * stdio. It cannot route (one connection, one child) and parses nothing; it
 * only shows what one extra hop costs, in a process of its own like the mux.
 *
 *   deno run -A bench/lib/relay.ts SOCKET COMMAND [ARG...]
 *
 * Each accepted connection gets its own child, piped both ways, and the
 * child is stopped when the connection ends.
 */

const [socket, command, ...args] = Deno.args;
if (!socket || !command) {
  console.error("usage: relay.ts SOCKET COMMAND [ARG...]");
  Deno.exit(2);
}
const listener = Deno.listen({ transport: "unix", path: socket });
Deno.addSignalListener("SIGTERM", () => {
  listener.close();
  Deno.removeSync(socket);
  Deno.exit(0);
});
for await (const conn of listener) {
  const child = new Deno.Command(command, { args, stdin: "piped", stdout: "piped" }).spawn();
  conn.readable.pipeTo(child.stdin).catch(() => {});
  child.stdout.pipeTo(conn.writable).catch(() => {}).finally(() => {
    try {
      child.kill();
    } catch {
      // Already exited.
    }
  });
}
