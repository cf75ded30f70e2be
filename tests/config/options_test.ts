import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_helpers/assert.ts";
import {
  DEFAULTS,
  type MuxOptions,
  OptionError,
  resolveOptions,
  serviceNameFromSocket,
} from "../../src/config/options.ts";
import { CANCEL_GRACE_MS, MAX_CANCEL_GRACE_MS } from "../../src/mod.ts";

const BASE: MuxOptions = { socket: "/run/mux/github.sock", cmd: "server" };

function refuses(options: MuxOptions, message: string | RegExp): void {
  assertThrows(() => resolveOptions(options), (e: unknown) => {
    assert(e instanceof OptionError, `expected OptionError, got ${e}`);
    assertStrictEquals(e.name, "OptionError");
    if (typeof message === "string") assertStrictEquals(e.message, message);
    else assert(message.test(e.message), `${e.message} !~ ${message}`);
    return true;
  });
}

Deno.test("resolveOptions: every default is filled in", () => {
  const r = resolveOptions(BASE);
  for (const [key, value] of Object.entries(DEFAULTS)) {
    assertStrictEquals(r[key as keyof typeof DEFAULTS], value, key);
  }
  assertStrictEquals(r.socket, "/run/mux/github.sock");
  assertStrictEquals(r.cmd, "server");
  assertEquals(r.args, []);
  assertEquals(r.env, {});
  assertStrictEquals(r.cwd, undefined);
  assertStrictEquals(r.serviceName, "github");
});

Deno.test("resolveOptions: the documented default values", () => {
  const r = resolveOptions(BASE);
  assertStrictEquals(r.maxActiveClients, 64);
  assertStrictEquals(r.clientWaitMs, 10_000);
  assertStrictEquals(r.lazyStart, false);
  assertStrictEquals(r.maxRequestBytes, 1024 * 1024);
  assertStrictEquals(r.maxResponseBytes, 64 * 1024 * 1024);
  assertStrictEquals(r.requestTimeoutMs, 300_000);
  assertStrictEquals(r.restartBackoffMs, 1_000);
  assertStrictEquals(r.restartBackoffMaxMs, 30_000);
  assertStrictEquals(r.maxRestarts, 5);
  assertStrictEquals(r.restartWindowMs, 600_000);
  assertStrictEquals(r.healthyUptimeMs, 30_000);
  assertStrictEquals(r.initTimeoutMs, 60_000);
  assertStrictEquals(r.stopGraceMs, 2_000);
  assertStrictEquals(r.stopTermMs, 3_000);
  assertStrictEquals(r.shutdownGraceMs, 2_000);
});

Deno.test("resolveOptions: given values win over defaults, undefined ones do not", () => {
  const r = resolveOptions({
    ...BASE,
    maxActiveClients: 3,
    lazyStart: true,
    requestTimeoutMs: 0,
    maxRestarts: 0,
    clientWaitMs: undefined,
    cwd: "/srv",
  });
  assertStrictEquals(r.maxActiveClients, 3);
  assertStrictEquals(r.lazyStart, true);
  assertStrictEquals(r.requestTimeoutMs, 0, "0 = never is allowed");
  assertStrictEquals(r.maxRestarts, 0, "0 = unlimited is allowed");
  assertStrictEquals(r.clientWaitMs, DEFAULTS.clientWaitMs);
  assertStrictEquals(r.cwd, "/srv");
});

Deno.test("serviceNameFromSocket: the socket file name up to its first dot", () => {
  assertStrictEquals(serviceNameFromSocket("/x/github.sock"), "github");
  assertStrictEquals(serviceNameFromSocket("a.b.sock"), "a");
  assertStrictEquals(serviceNameFromSocket("/home/ann/.rmcp-mux/memory.sock"), "memory");
  assertStrictEquals(serviceNameFromSocket("plain"), "plain");
  // nothing usable: a fallback name, never ""
  assertStrictEquals(serviceNameFromSocket("/x/.sock"), "rmcp-mux");
  assertStrictEquals(serviceNameFromSocket("/x/dir/"), "rmcp-mux");
});

Deno.test("resolveOptions: serviceName is derived from the socket unless given", () => {
  assertStrictEquals(resolveOptions({ ...BASE, socket: "/x/github.sock" }).serviceName, "github");
  assertStrictEquals(resolveOptions({ ...BASE, socket: "a.b.sock" }).serviceName, "a");
  assertStrictEquals(resolveOptions({ ...BASE, serviceName: "gh@work" }).serviceName, "gh@work");
});

Deno.test("resolveOptions: socket and cmd are required", () => {
  refuses({ ...BASE, socket: "" }, "socket: a Unix socket path is required");
  refuses({ ...BASE, cmd: "" }, "cmd: the server command is required");
  refuses({ ...BASE, cmd: "   " }, "cmd: the server command is required");
  refuses({ cmd: "x" } as MuxOptions, "socket: a Unix socket path is required");
});

Deno.test("resolveOptions: a bad number names the key, the minimum and the value", () => {
  refuses({ ...BASE, maxActiveClients: 0 }, "maxActiveClients: expected a whole number ≥ 1, got 0");
  refuses({ ...BASE, clientWaitMs: -1 }, "clientWaitMs: expected a whole number ≥ 0, got -1");
  refuses(
    { ...BASE, maxRequestBytes: 10 },
    "maxRequestBytes: expected a whole number ≥ 64, got 10",
  );
  refuses({ ...BASE, maxResponseBytes: 63 }, /^maxResponseBytes: expected a whole number ≥ 64/);
  refuses({ ...BASE, restartBackoffMs: 0 }, /^restartBackoffMs: expected a whole number ≥ 1/);
  refuses({ ...BASE, initTimeoutMs: 0 }, /^initTimeoutMs: expected a whole number ≥ 1/);
  refuses({ ...BASE, requestTimeoutMs: 1.5 }, /^requestTimeoutMs: .* got 1\.5$/);
  refuses({ ...BASE, maxRestarts: NaN }, /^maxRestarts: expected a whole number ≥ 0/);
  refuses({ ...BASE, stopGraceMs: Infinity }, /^stopGraceMs: expected a whole number/);
  refuses(
    { ...BASE, stopTermMs: "3000" as unknown as number },
    'stopTermMs: expected a whole number ≥ 0, got "3000"',
  );
  refuses({ ...BASE, shutdownGraceMs: -5 }, /^shutdownGraceMs:/);
  refuses({ ...BASE, healthyUptimeMs: -1 }, /^healthyUptimeMs:/);
  refuses({ ...BASE, restartWindowMs: 0.1 }, /^restartWindowMs:/);
});

Deno.test("resolveOptions: cancelGraceMs is 5 s unless set, from 0 (no grace) to MAX_CANCEL_GRACE_MS", () => {
  assertStrictEquals(resolveOptions(BASE).cancelGraceMs, CANCEL_GRACE_MS);
  assertStrictEquals(CANCEL_GRACE_MS, 5_000);
  assertStrictEquals(MAX_CANCEL_GRACE_MS, 60_000);
  for (const ms of [0, 1, 1_000, MAX_CANCEL_GRACE_MS]) {
    assertStrictEquals(resolveOptions({ ...BASE, cancelGraceMs: ms }).cancelGraceMs, ms);
  }
  refuses(
    { ...BASE, cancelGraceMs: 60_001 },
    "cancelGraceMs: expected a whole number from 0 to 60000 (MAX_CANCEL_GRACE_MS), got 60001",
  );
  refuses({ ...BASE, cancelGraceMs: -1 }, /^cancelGraceMs: expected a whole number from 0 to/);
  refuses({ ...BASE, cancelGraceMs: 2.5 }, /^cancelGraceMs: .* got 2\.5$/);
});

Deno.test("resolveOptions: lazyStart must be a boolean", () => {
  refuses({ ...BASE, lazyStart: "yes" as unknown as boolean }, "lazyStart: expected true or false");
  refuses({ ...BASE, lazyStart: 1 as unknown as boolean }, "lazyStart: expected true or false");
});

Deno.test("resolveOptions: restartBackoffMaxMs below restartBackoffMs is refused", () => {
  refuses(
    { ...BASE, restartBackoffMs: 5_000, restartBackoffMaxMs: 4_000 },
    "restartBackoffMaxMs (4000) must be ≥ restartBackoffMs (5000)",
  );
  // below the default initial delay, too
  refuses({ ...BASE, restartBackoffMaxMs: 500 }, /^restartBackoffMaxMs \(500\) must be ≥/);
  // equal is fine
  const r = resolveOptions({ ...BASE, restartBackoffMs: 700, restartBackoffMaxMs: 700 });
  assertStrictEquals(r.restartBackoffMaxMs, 700);
});

Deno.test("resolveOptions: a bad serviceName is refused, naming it", () => {
  refuses(
    { ...BASE, serviceName: "my service" },
    'serviceName: "my service" may only contain letters, digits, ".", "_", "-", "@"',
  );
  refuses({ ...BASE, serviceName: "a/b" }, /^serviceName: "a\/b" may only contain/);
  refuses({ ...BASE, serviceName: "" }, /^serviceName: "" may only contain/);
  refuses({ ...BASE, serviceName: "x\ny" }, /^serviceName:/);
  assertStrictEquals(
    resolveOptions({ ...BASE, serviceName: "A.b_c-1@x" }).serviceName,
    "A.b_c-1@x",
  );
});

Deno.test("resolveOptions: env and args are copied, not shared with the caller", () => {
  const args = ["-y", "server"];
  const env: Record<string, string> = { TOKEN: "secret" };
  const r = resolveOptions({ ...BASE, args, env });
  assertEquals(r.args, ["-y", "server"]);
  assertEquals(r.env, { TOKEN: "secret" });
  args.push("--evil");
  args[0] = "changed";
  env.TOKEN = "other";
  env.EXTRA = "1";
  assertEquals(r.args, ["-y", "server"]);
  assertEquals(r.env, { TOKEN: "secret" });
  assert(r.args !== args);
  assert(r.env !== env);
});

Deno.test("resolveOptions: the input object is not modified", () => {
  const input: MuxOptions = { socket: "/x/s.sock", cmd: "c", maxActiveClients: 2 };
  const before = structuredClone(input);
  resolveOptions(input);
  assertEquals(input, before);
});
