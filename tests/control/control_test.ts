/**
 * The control socket: every command, run against a live daemon.
 */

import { callControl } from "../../src/control/client.ts";
import { ControlServer } from "../../src/control/server.ts";
import { Daemon, type DaemonService } from "../../src/daemon/daemon.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { fakeServer, FAST, RawConnection } from "../_helpers/mux.ts";

const spec = (dir: string, name: string): DaemonService => ({
  name,
  options: { ...FAST, ...fakeServer(), socket: `${dir}/${name}.sock` },
});

Deno.test("control: status, restart, stop, start, reload and shutdown over the socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-control-" });
  let next = [spec(dir, "a"), spec(dir, "b")];
  let shutdowns = 0;
  await using daemon = await Daemon.start({
    services: [spec(dir, "a")],
    reload: () => Promise.resolve(next),
  });
  await using control = await ControlServer.start(`${dir}/control.sock`, daemon, () => shutdowns++);
  assertEquals(Deno.statSync(control.path).mode! & 0o777, 0o600, "private to its owner");
  const status = await callControl(control.path, "status") as {
    pid: number;
    services: { name: string; state: string }[];
  };
  assertEquals(status.pid, Deno.pid);
  // Its server is spawned at once: starting, or already running.
  assertEquals(status.services.map((s) => s.name), ["a"]);
  assert(["starting", "running"].includes(status.services[0]!.state), status.services[0]!.state);

  await using client = await RawConnection.open(`${dir}/a.sock`);
  await client.initialize();
  const restarted = await callControl(control.path, "restart", { service: "a" }) as {
    state: string;
  };
  assertEquals(restarted.state, "running");
  await client.send({ jsonrpc: "2.0", id: "p", method: "ping" });
  assertEquals((await client.answer("p")).result, {}, "the client stayed connected");

  assertEquals((await callControl(control.path, "stop", { service: "a" })).state, "stopped");
  assertEquals((await callControl(control.path, "start", { service: "a" })).state, "running");
  const report = await callControl(control.path, "reload");
  assertEquals(report.added, ["b"]);
  next = [];
  assertEquals((await callControl(control.path, "reload")).removed, ["a", "b"]);

  await assertRejects(
    () => callControl(control.path, "stop", { service: "ghost" }),
    /unknown service "ghost"/,
  );
  await assertRejects(() => callControl(control.path, "stop"), /needs params.service/);
  await assertRejects(() => callControl(control.path, "dance"), /unknown control method "dance"/);
  assertEquals((await callControl(control.path, "shutdown")).shuttingDown, true);
  assertEquals(shutdowns, 1);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

Deno.test("control: a second daemon cannot take a live control socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-control-" });
  await using daemon = await Daemon.start({ services: [] });
  await using _first = await ControlServer.start(`${dir}/c.sock`, daemon, () => {});
  await assertRejects(
    () => ControlServer.start(`${dir}/c.sock`, daemon, () => {}),
    /already listening/,
  );
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

Deno.test("control: no daemon on the path is a clear error", async () => {
  const error = await callControl("/nonexistent-dir/rmcp.sock", "status").catch((e) => e);
  assert(error instanceof Error);
  assertMatch(error.message, /cannot connect to \/nonexistent-dir\/rmcp\.sock: no such socket/);
});

Deno.test("control: a command the caller got wrong is -32602; a rejected reload too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-control-" });
  await using daemon = await Daemon.start({
    services: [],
    reload: () => Promise.reject(new Error("config.yaml:3:5 servers.svc.cmd: expected a string")),
  });
  await using control = await ControlServer.start(`${dir}/c.sock`, daemon, () => {});
  await using raw = await RawConnection.open(control.path);
  await raw.send({ jsonrpc: "2.0", id: 1, method: "stop", params: { service: "ghost" } });
  const unknown = await raw.answer(1) as { error: { code: number; message: string } };
  assertEquals(unknown.error.code, -32602);
  assertMatch(unknown.error.message, /unknown service "ghost"/);
  await raw.send({ jsonrpc: "2.0", id: 2, method: "reload" });
  const rejected = await raw.answer(2) as { error: { code: number; message: string } };
  assertEquals(rejected.error.code, -32602);
  assertMatch(rejected.error.message, /config\.yaml:3:5/);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});
