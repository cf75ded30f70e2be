/**
 * One daemon, many services, each independent: real fixture servers behind
 * real sockets.
 */

import { Daemon, type DaemonService } from "../../src/daemon/daemon.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { fakeServer, FAST, RawConnection, textOf } from "../_helpers/mux.ts";
import { tempDir } from "../_helpers/temp.ts";

const service = (dir: string, name: string, ...flags: string[]): DaemonService => ({
  name,
  options: { ...FAST, ...fakeServer(...flags), socket: `${dir}/${name}.sock` },
});

const withOptions = (spec: DaemonService, extra: Partial<DaemonService["options"]>) => ({
  ...spec,
  options: { ...spec.options, ...extra },
});

async function echo(conn: RawConnection, id: string, text: string): Promise<string> {
  await conn.send({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { text } },
  });
  return textOf((await conn.answer(id)).result);
}

Deno.test("one service crash-looping never disturbs the two serving real clients", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  await using daemon = await Daemon.start({
    services: [
      service(dir, "steady"),
      withOptions(service(dir, "broken", "--crash-on-start"), { maxRestarts: 0 }), // crashes forever
      service(dir, "calm"),
    ],
  });
  assertEquals(daemon.serviceNames, ["broken", "calm", "steady"], "sorted by name");
  await using a = await RawConnection.open(`${dir}/steady.sock`);
  await using b = await RawConnection.open(`${dir}/calm.sock`);
  await a.initialize();
  await b.initialize();
  for (let i = 0; i < 20; i++) {
    assertEquals(await echo(a, `a${i}`, `steady ${i}`), `steady ${i}`);
    assertEquals(await echo(b, `b${i}`, `calm ${i}`), `calm ${i}`);
  }
  await daemon.server("broken")!.waitFor((s) => (s.attempt ?? 0) >= 2, { timeoutMs: 10_000 });
  assert(daemon.server("broken")!.status().restarts.total >= 2, "it kept crashing meanwhile");
  const steady = daemon.status().services.find((s) => s.name === "steady")!;
  assertEquals(steady.mux!.restarts.total, 0);
});

Deno.test("restart keeps clients connected; stop removes the socket; start brings it back", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  await using daemon = await Daemon.start({ services: [service(dir, "svc")] });
  await using client = await RawConnection.open(`${dir}/svc.sock`);
  await client.initialize();
  const before = daemon.status().services[0]!.mux!;
  await daemon.restart("svc");
  assertEquals(await echo(client, "after-restart", "still here"), "still here");
  const after = daemon.status().services[0]!.mux!;
  assert(after.server.pid !== before.server.pid, "a new server process");
  await daemon.stop("svc");
  assertEquals(daemon.status().services[0]!.state, "stopped");
  assertEquals(await client.next(), null, "its clients were disconnected");
  await assertRejects(() => Deno.lstat(`${dir}/svc.sock`));
  await daemon.start("svc");
  await using again = await RawConnection.open(`${dir}/svc.sock`);
  await again.initialize();
  assertEquals(await echo(again, "x", "back"), "back");
  await assertRejects(
    () => daemon.restart("nope"),
    /unknown service "nope"; this daemon runs: svc/,
  );
});

Deno.test("restart brings a failed service back", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  const broken = `${dir}/broken`;
  await Deno.writeTextFile(broken, "");
  const spec = service(dir, "svc", "--crash-if-exists", broken);
  await using daemon = await Daemon.start({
    services: [{ ...spec, options: { ...spec.options, maxRestarts: 1 } }],
  });
  const failed = await daemon.server("svc")!.waitFor("failed", { timeoutMs: 10_000 });
  assertMatch(failed.reason!, /exit code 3/);
  await Deno.remove(broken); // the fix
  await daemon.restart("svc");
  await daemon.server("svc")!.waitFor("running", { timeoutMs: 10_000 });
  await using client = await RawConnection.open(`${dir}/svc.sock`);
  await client.initialize();
  assertEquals(await echo(client, "x", "recovered"), "recovered");
});

async function serverPid(conn: RawConnection, id: string): Promise<number> {
  await conn.send({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "stats", arguments: {} },
  });
  return JSON.parse(textOf((await conn.answer(id)).result)).pid;
}

Deno.test("reload: added start, removed stop, unchanged and limit changes keep their clients", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  let next: DaemonService[] = [];
  await using daemon = await Daemon.start({
    services: [service(dir, "keep"), service(dir, "limits"), service(dir, "drop")],
    reload: () => Promise.resolve(next),
  });
  await using kept = await RawConnection.open(`${dir}/keep.sock`);
  await using limited = await RawConnection.open(`${dir}/limits.sock`);
  await kept.initialize();
  await limited.initialize();
  const pid = await serverPid(limited, "before");
  next = [
    service(dir, "keep"),
    withOptions(service(dir, "limits"), {
      maxRestarts: 9,
      maxActiveClients: 3,
      requestTimeoutMs: 5_000,
      serialize: true,
    }),
    service(dir, "add"),
  ];
  const report = await daemon.reload();
  assertEquals(report, {
    added: ["add"],
    removed: ["drop"],
    changed: ["limits"],
    applied: ["limits"],
    restarted: [],
    recreated: [],
    unchanged: ["keep"],
    settings: { limits: ["maxActiveClients", "maxRestarts", "requestTimeoutMs", "serialize"] },
    needsRestart: [],
    daemonApplied: [],
    errors: {},
  });
  assertEquals(await echo(kept, "k", "untouched"), "untouched", "same connection, still served");
  assertEquals(await serverPid(limited, "after"), pid, "same connection, same server process");
  const status = daemon.status().services.find((s) => s.name === "limits")!.mux!;
  assertEquals(status.clients.max, 3, "the new limit is in effect");
  await assertRejects(() => Deno.lstat(`${dir}/drop.sock`));
  await using added = await RawConnection.open(`${dir}/add.sock`);
  await added.initialize();
  assertEquals(daemon.serviceNames, ["add", "keep", "limits"]);
});

Deno.test("reload: a new command restarts the server in place: same connection, new pid", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  let next: DaemonService[] = [];
  await using daemon = await Daemon.start({
    services: [service(dir, "svc")],
    reload: () => Promise.resolve(next),
  });
  await using client = await RawConnection.open(`${dir}/svc.sock`);
  await client.initialize();
  const before = await serverPid(client, "before");
  next = [service(dir, "svc", "--no-list-changed")];
  const report = await daemon.reload();
  assertEquals(report.restarted, ["svc"]);
  assertEquals(report.settings, { svc: ["args"] });
  const after = await serverPid(client, "after");
  assert(after !== before, "a new server process behind the same connection");
});

Deno.test("reload: a new socket recreates the mux: the old socket goes, the new one serves", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  let next: DaemonService[] = [];
  await using daemon = await Daemon.start({
    services: [service(dir, "svc")],
    reload: () => Promise.resolve(next),
  });
  await using old = await RawConnection.open(`${dir}/svc.sock`);
  await old.initialize();
  next = [withOptions(service(dir, "svc"), { socket: `${dir}/moved.sock` })];
  const report = await daemon.reload();
  assertEquals(report.recreated, ["svc"]);
  assertEquals(
    await old.next().catch(() => null),
    null,
    "the old socket's clients are disconnected",
  );
  await assertRejects(() => Deno.lstat(`${dir}/svc.sock`));
  await using moved = await RawConnection.open(`${dir}/moved.sock`);
  await moved.initialize();
  assertEquals(await echo(moved, "m", "moved"), "moved");
});

Deno.test("restart drains: an answer in flight arrives, a request sent meanwhile goes to the new process", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  // A grace far longer than the request: the drain, not the clock, decides.
  const spec = withOptions(service(dir, "svc"), { shutdownGraceMs: 60_000 });
  await using daemon = await Daemon.start({ services: [spec] });
  await using client = await RawConnection.open(`${dir}/svc.sock`);
  await client.initialize();
  const before = await serverPid(client, "before");
  await client.send({
    jsonrpc: "2.0",
    id: "slow",
    method: "tools/call",
    params: { name: "sleep", arguments: { ms: 300 }, _meta: { progressToken: "p" } },
  });
  // Its first progress notification: the old process is working on it.
  while (true) {
    const message = await client.next() as { method?: string } | null;
    if (message === null) throw new Error("connection closed");
    if (message.method === "notifications/progress") break;
  }
  const restarted = daemon.restart("svc");
  await client.send({
    jsonrpc: "2.0",
    id: "during",
    method: "tools/call",
    params: { name: "stats", arguments: {} },
  });
  // One reader: both answers, in whatever order they come.
  const answers = new Map<unknown, Record<string, unknown>>();
  while (answers.size < 2) {
    const message = await client.next() as Record<string, unknown> | null;
    if (message === null) throw new Error("connection closed");
    if (message.id === "slow" || message.id === "during") answers.set(message.id, message);
  }
  assertEquals(
    textOf(answers.get("slow")!.result),
    "slept 300",
    "answered by the old process, not failed",
  );
  await restarted;
  const after = JSON.parse(textOf(answers.get("during")!.result)).pid;
  assert(after !== before, "the request sent during the drain reached the new process");
});

Deno.test("reload with an invalid configuration changes nothing and says why", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  await using daemon = await Daemon.start({
    services: [service(dir, "svc")],
    reload: () => Promise.reject(new Error("config.yaml:3:5 servers.svc.cmd: expected a string")),
  });
  await using client = await RawConnection.open(`${dir}/svc.sock`);
  await client.initialize();
  await assertRejects(() => daemon.reload(), /config\.yaml:3:5/);
  assertEquals(await echo(client, "x", "unaffected"), "unaffected");
  assertEquals(daemon.serviceNames, ["svc"]);
});

Deno.test("a service whose socket is taken is reported; the others run", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  await using squatter = await Daemon.start({ services: [service(dir, "taken")] });
  await using daemon = await Daemon.start({
    services: [service(dir, "taken"), service(dir, "free")],
  });
  const [free, taken] = daemon.status().services; // sorted by name
  assertEquals(taken!.state, "error");
  assertMatch(taken!.error!, /already listening/);
  assert(free!.mux !== undefined && ["starting", "running"].includes(free!.state), free!.state);
  assert(squatter.status().services[0]!.mux !== undefined, "the live one was not stolen");
});

Deno.test("concurrent restarts of a failed service start exactly one server", async () => {
  await using dir = await tempDir("rmcp-mux-daemon-");
  const broken = `${dir}/broken`;
  await Deno.writeTextFile(broken, "");
  const marker = `--marker=${crypto.randomUUID()}`;
  const spec = withOptions(service(dir, "svc", "--crash-if-exists", broken, marker), {
    maxRestarts: 1,
  });
  await using daemon = await Daemon.start({ services: [spec] });
  const mux = daemon.server("svc")!;
  await mux.waitFor("failed", { timeoutMs: 10_000 });
  await Deno.remove(broken); // fixed: the next spawn stays up
  // Straight at the mux, not through the daemon's one-at-a-time commands.
  await Promise.all([mux.restartServer("a"), mux.restartServer("b"), mux.restartServer("c")]);
  await mux.waitFor("running", { timeoutMs: 10_000 });
  const out = await new Deno.Command("ps", { args: ["-eo", "stat=,args="] }).output();
  const servers = new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.includes(marker) && !line.trim().startsWith("Z"));
  assertEquals(servers.length, 1, "one server process, not one per concurrent restart");
});
