/**
 * Every pairing of client era × server era, through the socket and through
 * `rmcp-mux proxy`, all clients at once on one server process: SDK v1
 * clients (initialize era), SDK v2 clients probing (`auto`) and pinned to
 * 2026-07-28, in front of the SDK v2 fixture served in the initialize era
 * (`upstream_era: legacy`; it then asks for input with server→client
 * requests, through the SDK's own shim) or in 2026-07-28 (`--reject-legacy`;
 * it asks with `input_required`). Each client calls a tool, learns which era
 * the server served it in, and answers an elicitation the server asks for
 * during its call (in front of the legacy server with `--serialize`: six
 * clients call at once, and a legacy server's question names no call).
 */

import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdio } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdio } from "@modelcontextprotocol/client/stdio";
import { assertEquals } from "../_helpers/assert.ts";
import { MAIN } from "../_helpers/cli.ts";
import { modernServer, ROOT, startMux, textOf } from "../_helpers/mux.ts";
import { UnixSocketTransport } from "../_helpers/socket_transport.ts";

type Era = "legacy" | "modern";
type Kind = "v1" | "v2-auto" | "v2-pinned";
type Path = "socket" | "proxy";

/** What every pairing needs of a client, whatever its SDK. */
interface AnyClient {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const proxyParams = (socket: string) => ({
  command: Deno.execPath(),
  args: ["run", "-A", "--quiet", MAIN, "proxy", "--socket", socket],
  cwd: ROOT,
  stderr: "pipe" as const,
});

async function open(socket: string, kind: Kind, path: Path, name: string): Promise<AnyClient> {
  const answer = { action: "accept" as const, content: { answer: name } };
  if (kind === "v1") {
    const client = new LegacyClient({ name, version: "1" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, () => answer);
    await client.connect(
      path === "socket" ? new UnixSocketTransport(socket) : new LegacyStdio(proxyParams(socket)),
    );
    return client;
  }
  const client = new ModernClient({ name, version: "2" }, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode: kind === "v2-auto" ? "auto" : { pin: "2026-07-28" } },
  });
  client.setRequestHandler("elicitation/create", () => answer);
  const transport = path === "socket"
    ? new UnixSocketTransport(socket) as unknown as Parameters<typeof client.connect>[0]
    : new ModernStdio(proxyParams(socket));
  await client.connect(transport);
  return client;
}

const PAIRS: [Kind, Path][] = [
  ["v1", "socket"],
  ["v1", "proxy"],
  ["v2-auto", "socket"],
  ["v2-auto", "proxy"],
  ["v2-pinned", "socket"],
  ["v2-pinned", "proxy"],
];

for (const upstream of ["legacy", "modern"] as Era[]) {
  Deno.test(`every client era, socket and proxy, at once on one ${upstream} server process`, async () => {
    const server = upstream === "modern" ? modernServer("--reject-legacy") : modernServer();
    // A legacy server's questions carry no request id: with calls from six clients at once,
    // --serialize is what makes each question reach its own caller (docs/routing.md).
    await using t = await startMux(server, {
      upstreamEra: upstream === "modern" ? "auto" : "legacy",
      serialize: upstream === "legacy",
    });
    const pid = (await t.mux.waitFor("running", { timeoutMs: 30_000 })).pid;
    const clients = await Promise.all(
      PAIRS.map(([kind, path]) => open(t.socket, kind, path, `${kind}-${path}`)),
    );
    try {
      const results = await Promise.all(clients.map(async (client, i) => {
        const [kind, path] = PAIRS[i]!;
        const name = `${kind}-${path}`;
        const echo = textOf(await client.callTool({ name: "echo", arguments: { text: name } }));
        const who = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} })));
        const asked = textOf(
          await client.callTool({ name: "confirm", arguments: { question: `${name}?` } }),
        );
        return { name, echo, era: who.era, asked };
      }));
      for (const r of results) {
        assertEquals(r.echo, r.name);
        assertEquals(r.era, upstream, `${r.name}: served by a ${upstream} server`);
        assertEquals(r.asked, `the user said ${r.name}`, `${r.name}: its own answer`);
      }
      // The v2 SDK probes from a sibling proxy process: those connections come and go.
      const status = await t.mux.waitForStatus((s) => s.sessions.length === PAIRS.length, {
        timeoutMs: 10_000,
      });
      assertEquals(status.server.pid, pid, "one server process for every pairing");
      assertEquals(status.eras.upstream, upstream);
      assertEquals(status.eras.clients, { legacy: 2, modern: 4, unknown: 0 });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
}
