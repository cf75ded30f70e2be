import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  DEFAULTS,
  type MuxOptions,
  OptionError,
  resolveOptions,
  serviceNameFromSocket,
} from "../../src/config/options.ts";

const BASE: MuxOptions = { socket: "/run/mux/github.sock", cmd: "server" };

function refuses(options: MuxOptions, message: string | RegExp): void {
  throws(() => resolveOptions(options), (e: unknown) => {
    ok(e instanceof OptionError, `expected OptionError, got ${e}`);
    strictEqual(e.name, "OptionError");
    if (typeof message === "string") strictEqual(e.message, message);
    else ok(message.test(e.message), `${e.message} !~ ${message}`);
    return true;
  });
}

Deno.test("resolveOptions: every default is filled in", () => {
  const r = resolveOptions(BASE);
  for (const [key, value] of Object.entries(DEFAULTS)) {
    strictEqual(r[key as keyof typeof DEFAULTS], value, key);
  }
  strictEqual(r.socket, "/run/mux/github.sock");
  strictEqual(r.cmd, "server");
  deepStrictEqual(r.args, []);
  deepStrictEqual(r.env, {});
  strictEqual(r.cwd, undefined);
  strictEqual(r.serviceName, "github");
});

Deno.test("resolveOptions: the documented default values", () => {
  const r = resolveOptions(BASE);
  strictEqual(r.maxActiveClients, 64);
  strictEqual(r.clientWaitMs, 10_000);
  strictEqual(r.lazyStart, false);
  strictEqual(r.maxRequestBytes, 1024 * 1024);
  strictEqual(r.maxResponseBytes, 64 * 1024 * 1024);
  strictEqual(r.requestTimeoutMs, 300_000);
  strictEqual(r.restartBackoffMs, 1_000);
  strictEqual(r.restartBackoffMaxMs, 30_000);
  strictEqual(r.maxRestarts, 5);
  strictEqual(r.restartWindowMs, 600_000);
  strictEqual(r.healthyUptimeMs, 30_000);
  strictEqual(r.initTimeoutMs, 60_000);
  strictEqual(r.stopGraceMs, 2_000);
  strictEqual(r.stopTermMs, 3_000);
  strictEqual(r.shutdownGraceMs, 2_000);
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
  strictEqual(r.maxActiveClients, 3);
  strictEqual(r.lazyStart, true);
  strictEqual(r.requestTimeoutMs, 0, "0 = never is allowed");
  strictEqual(r.maxRestarts, 0, "0 = unlimited is allowed");
  strictEqual(r.clientWaitMs, DEFAULTS.clientWaitMs);
  strictEqual(r.cwd, "/srv");
});

Deno.test("serviceNameFromSocket: the socket file name up to its first dot", () => {
  strictEqual(serviceNameFromSocket("/x/github.sock"), "github");
  strictEqual(serviceNameFromSocket("a.b.sock"), "a");
  strictEqual(serviceNameFromSocket("/home/ann/.rmcp-mux/memory.sock"), "memory");
  strictEqual(serviceNameFromSocket("plain"), "plain");
  // nothing usable: a fallback name, never ""
  strictEqual(serviceNameFromSocket("/x/.sock"), "rmcp-mux");
  strictEqual(serviceNameFromSocket("/x/dir/"), "rmcp-mux");
});

Deno.test("resolveOptions: serviceName is derived from the socket unless given", () => {
  strictEqual(resolveOptions({ ...BASE, socket: "/x/github.sock" }).serviceName, "github");
  strictEqual(resolveOptions({ ...BASE, socket: "a.b.sock" }).serviceName, "a");
  strictEqual(resolveOptions({ ...BASE, serviceName: "gh@work" }).serviceName, "gh@work");
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
  strictEqual(r.restartBackoffMaxMs, 700);
});

Deno.test("resolveOptions: a bad serviceName is refused, naming it", () => {
  refuses(
    { ...BASE, serviceName: "my service" },
    'serviceName: "my service" may only contain letters, digits, ".", "_", "-", "@"',
  );
  refuses({ ...BASE, serviceName: "a/b" }, /^serviceName: "a\/b" may only contain/);
  refuses({ ...BASE, serviceName: "" }, /^serviceName: "" may only contain/);
  refuses({ ...BASE, serviceName: "x\ny" }, /^serviceName:/);
  strictEqual(resolveOptions({ ...BASE, serviceName: "A.b_c-1@x" }).serviceName, "A.b_c-1@x");
});

Deno.test("resolveOptions: env and args are copied, not shared with the caller", () => {
  const args = ["-y", "server"];
  const env: Record<string, string> = { TOKEN: "secret" };
  const r = resolveOptions({ ...BASE, args, env });
  deepStrictEqual(r.args, ["-y", "server"]);
  deepStrictEqual(r.env, { TOKEN: "secret" });
  args.push("--evil");
  args[0] = "changed";
  env.TOKEN = "other";
  env.EXTRA = "1";
  deepStrictEqual(r.args, ["-y", "server"]);
  deepStrictEqual(r.env, { TOKEN: "secret" });
  ok(r.args !== args);
  ok(r.env !== env);
});

Deno.test("resolveOptions: the input object is not modified", () => {
  const input: MuxOptions = { socket: "/x/s.sock", cmd: "c", maxActiveClients: 2 };
  const before = structuredClone(input);
  resolveOptions(input);
  deepStrictEqual(input, before);
});
