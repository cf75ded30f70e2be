import { accepts } from "../../src/http/wire.ts";
import { RequestGuard } from "../../src/http/guard.ts";
import { HttpOptionError, parseListenAddress, resolveHttpOptions } from "../../src/http/options.ts";
import { classifyOutgoing } from "../../src/http/outgoing.ts";
import { loadOrCreateToken, TokenFileError } from "../../src/http/token.ts";
import { assertEquals, assertMatch, assertRejects, assertThrows } from "../_helpers/assert.ts";

Deno.test("listen addresses: host:port, [v6]:port, a bare port means loopback", () => {
  assertEquals(parseListenAddress("127.0.0.1:7300"), {
    hostname: "127.0.0.1",
    port: 7300,
    loopback: true,
  });
  assertEquals(parseListenAddress("7300"), { hostname: "127.0.0.1", port: 7300, loopback: true });
  assertEquals(parseListenAddress("[::1]:0"), { hostname: "::1", port: 0, loopback: true });
  assertEquals(parseListenAddress("localhost:1").loopback, true);
  assertEquals(parseListenAddress("0.0.0.0:80").loopback, false);
  for (const bad of ["", ":80", "host", "1.2.3.4:99999", "a b:1", "::1:80"]) {
    assertThrows(() => parseListenAddress(bad), HttpOptionError, "listen: expected");
  }
});

Deno.test("a non-loopback address needs allowRemote, and never goes without a token", () => {
  assertThrows(
    () => resolveHttpOptions({ listen: "0.0.0.0:7300" }),
    /not a loopback address.*--http-allow-remote/,
  );
  assertEquals(resolveHttpOptions({ listen: "0.0.0.0:7300", allowRemote: true }).auth, "token");
  assertThrows(
    () => resolveHttpOptions({ listen: "0.0.0.0:7300", allowRemote: true, auth: "none" }),
    /refusing --http-auth none/,
  );
  assertEquals(resolveHttpOptions({ listen: "7300", auth: "none" }).auth, "none");
  assertThrows(() => resolveHttpOptions({ listen: "7300", maxSessions: 0 }), HttpOptionError);
  assertThrows(() => resolveHttpOptions({ listen: "7300", maxRequests: 0 }), /maxRequests/);
  assertEquals(resolveHttpOptions({ listen: "7300" }).maxRequests, 1024);
});

Deno.test("the guard: loopback Host and own Origin pass, others are refused; token compared exactly", () => {
  const guard = new RequestGuard({
    hostname: "127.0.0.1",
    port: 7300,
    checkHost: true,
    token: "t0k",
  });
  const check = (headers: Record<string, string>) =>
    guard.checkOrigin(new Headers(headers))?.status ?? 200;
  assertEquals(check({ host: "127.0.0.1:7300" }), 200);
  assertEquals(check({ host: "localhost:7300", origin: "http://localhost:7300" }), 200);
  assertEquals(check({ host: "[::1]:7300" }), 200);
  assertEquals(check({ host: "127.0.0.1:7301" }), 403);
  assertEquals(check({ host: "evil.test:7300" }), 403);
  assertEquals(check({ host: "127.0.0.1:7300", origin: "https://evil.test" }), 403);
  assertEquals(check({ host: "127.0.0.1:7300", origin: "null" }), 403);
  const token = (value?: string) =>
    guard.checkToken(new Headers(value === undefined ? {} : { authorization: value }))?.status ??
      200;
  assertEquals([
    token(),
    token("Bearer t0k"),
    token("bearer t0k"),
    token("Bearer t0K"),
    token("t0k"),
    token("BEARER t0k"),
    token("Bearer  t0k "),
    token("Bearer t0kk"),
    token("Bearerxt0k"),
    token("Bearer t0"),
  ], [
    401,
    200,
    200,
    401,
    401,
    200,
    200,
    401,
    401,
    401,
  ]);
  const remote = new RequestGuard({
    hostname: "0.0.0.0",
    port: 7300,
    checkHost: false,
    token: "t",
  });
  assertEquals(remote.checkOrigin(new Headers({ host: "mcp.internal:7300" })), undefined);
});

Deno.test("Accept: both types needed for POST, wildcards and no header allow anything", () => {
  const both = ["application/json", "text/event-stream"];
  assertEquals(accepts("application/json, text/event-stream", both), true);
  assertEquals(accepts("*/*", both), true);
  assertEquals(accepts(null, both), true);
  assertEquals(accepts("application/json", both), false);
  assertEquals(accepts("application/json, text/*;q=0", both), false);
  assertEquals(accepts("text/*", ["text/event-stream"]), true);
});

Deno.test("outgoing messages are classified by what decides their stream", () => {
  assertEquals(classifyOutgoing('{"jsonrpc":"2.0","id":3,"result":{}}'), {
    kind: "response",
    id: 3,
    error: false,
  });
  assertEquals(classifyOutgoing('[{"id":1,"result":{}},{"id":"b","error":{}}]'), {
    kind: "batch",
    ids: [1, "b"],
  });
  assertEquals(classifyOutgoing('{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage"}'), {
    kind: "request",
    id: 7,
    method: "sampling/createMessage",
  });
  assertEquals(
    classifyOutgoing('{"method":"notifications/progress","params":{"progressToken":"t"}}'),
    { kind: "notification", method: "notifications/progress", progressToken: "t" },
  );
  assertEquals(classifyOutgoing("nonsense").kind, "other");
});

Deno.test("the token file: created 0600 in a 0700 directory, reused, refused when others can read it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state/rmcp-mux/http.token`;
    const token = await loadOrCreateToken(path);
    assertMatch(token, /^[A-Za-z0-9_-]{43}$/);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(`${dir}/state/rmcp-mux`)).mode! & 0o777, 0o700);
    assertEquals(await loadOrCreateToken(path), token);
    await Deno.chmod(path, 0o644);
    await assertRejects(
      () => loadOrCreateToken(path),
      /may be read or changed by others \(mode 644\): run chmod 600/,
    );
    await Deno.chmod(path, 0o440); // a Kubernetes Secret mounted with fsGroup
    assertEquals(await loadOrCreateToken(path), token);
    await Deno.chmod(path, 0o600);
    await Deno.writeTextFile(path, "\n");
    await assertRejects(() => loadOrCreateToken(path), TokenFileError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
