/**
 * The dashboard over real HTTP, on a real daemon's HTTP listener (beside
 * `/mcp/NAME`): who gets in, who is refused and why, the live feed, the
 * actions.
 */

import { Daemon, type DaemonStatus } from "../../src/daemon/daemon.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { signIn, signInAsPage, startDashboardDaemon } from "../_helpers/dashboard.ts";
import { fakeServer, FAST } from "../_helpers/mux.ts";
import { literal, TYPED } from "../_helpers/cli.ts";

/** How the pages say to get a login link: with rmcp-mux as this machine types it. */
const DASHBOARD_COMMAND = new RegExp(`${literal(TYPED)} dashboard`);

async function fleet() {
  const f = await startDashboardDaemon((dir) => [
    { name: "steady", options: { ...FAST, ...fakeServer(), socket: `${dir}/steady.sock` } },
    {
      name: "lazy",
      options: { ...FAST, ...fakeServer(), socket: `${dir}/lazy.sock`, lazyStart: true },
    },
  ]);
  await f.daemon.server("steady")!.waitFor("running");
  return f;
}

/** One HTTP/1.1 GET written by hand (fetch sets Host from the URL); the raw answer. */
async function rawGet(origin: string, path: string, headers: Record<string, string>) {
  const url = new URL(origin);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\nconnection: close\r\n\r\n`));
  let text = "";
  for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}

Deno.test("login: the one-time code becomes an HttpOnly SameSite=Strict cookie, and works once", async () => {
  await using f = await fleet();
  const { url, expiresAt } = f.daemon.dashboardLogin();
  assertMatch(url, new RegExp(`^${f.origin}/login\\?code=[\\w-]{43}$`));
  assert(expiresAt > Date.now());
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  assertEquals(response.status, 303);
  assertEquals(response.headers.get("location"), "/", "the code leaves the address bar");
  const cookie = response.headers.get("set-cookie")!;
  assertMatch(cookie, new RegExp(`^${f.cookie}=[\\w-]{43}; HttpOnly; SameSite=Strict; Path=/`));
  const again = await fetch(url, { redirect: "manual" });
  assertEquals(again.status, 401);
  assertMatch(await again.text(), /already used or has expired/);
  const page = await fetch(`${f.origin}/`, { headers: { cookie: cookie.split(";")[0]! } });
  assertEquals(page.status, 200);
  assertMatch(await page.text(), /<script type="module" src="\/assets\/app\.js"><\/script>/);
});

Deno.test("no cookie, a wrong cookie or a signed-out one: 401 for the page and the API", async () => {
  await using f = await fleet();
  const attempts: Record<string, string>[] = [
    {},
    { cookie: `${f.cookie}=${"x".repeat(43)}` },
    { authorization: "Bearer nope" },
  ];
  for (const headers of attempts) {
    for (const path of ["/", "/api/status", "/api/events"]) {
      const response = await fetch(`${f.origin}${path}`, { headers });
      assertEquals(response.status, 401, `${path} ${JSON.stringify(headers)}`);
      assertMatch(await response.text(), DASHBOARD_COMMAND, "says how to get in");
    }
  }
  const cookie = await signIn(f.daemon.dashboardLogin().url);
  const out = await fetch(`${f.origin}/logout`, {
    method: "POST",
    headers: { cookie, origin: f.origin },
    redirect: "manual",
  });
  await out.body?.cancel();
  assertEquals(out.status, 303);
  const after = await fetch(`${f.origin}/api/status`, { headers: { cookie } });
  assertEquals(after.status, 401);
  await after.body?.cancel();
});

Deno.test("other sites are refused: a foreign Origin, a rebinding Host, a POST without Origin", async () => {
  await using f = await fleet();
  const cookie = await signIn(f.daemon.dashboardLogin().url);
  const restart = (headers: Record<string, string>) =>
    fetch(`${f.origin}/api/services/steady/restart`, {
      method: "POST",
      headers: { cookie, ...headers },
    });
  const foreign = await restart({ origin: "http://evil.example" });
  assertEquals(foreign.status, 403);
  assertMatch((await foreign.json()).error.message, /Origin "http:\/\/evil\.example" may not use/);
  const bare = await restart({});
  assertEquals(bare.status, 403);
  assertMatch(await bare.text(), /must come from the dashboard page/);
  const events = await fetch(`${f.origin}/api/events`, {
    headers: { cookie, origin: "http://evil.example" },
  });
  assertEquals(events.status, 403, "a foreign page cannot read the feed either");
  await events.body?.cancel();
  // A DNS-rebinding page reaches the port under its own name: its Host gives it away.
  const rebound = await rawGet(f.origin, "/api/status", {
    host: `attacker.example:${new URL(f.origin).port}`,
    cookie,
  });
  assertMatch(rebound, /^HTTP\/1\.1 403 /);
  assertMatch(rebound, /Host \\"attacker\.example:\d+\\" is not this listener's loopback address/);
  const steady = f.daemon.status().services.find((s) => s.name === "steady")!;
  assertEquals(steady.mux!.restarts.total, 0, "nothing was restarted");
});

Deno.test("the cookie alone opens nothing (browsers send it to every port): the page's key, claimed once, is needed too", async () => {
  await using f = await fleet();
  // What a web app on another port of 127.0.0.1 receives when the user visits it: the cookie.
  const cookie = await signIn(f.daemon.dashboardLogin().url);
  const page = await fetch(`${f.origin}/`, { headers: { cookie } });
  assertEquals(page.status, 200, "the page itself holds no data");
  await page.body?.cancel();
  for (const path of ["/api/status", "/api/events"]) {
    const response = await fetch(`${f.origin}${path}`, { headers: { cookie } });
    assertEquals(response.status, 401, `${path} with the cookie only`);
    assertMatch(await response.text(), DASHBOARD_COMMAND);
  }
  const act = await fetch(`${f.origin}/api/services/steady/stop`, {
    method: "POST",
    headers: { cookie, origin: f.origin },
  });
  assertEquals(act.status, 401);
  await act.body?.cancel();
  // The page claims the key right after the login; nobody can claim it again.
  const claim = () =>
    fetch(`${f.origin}/api/key`, { method: "POST", headers: { cookie, origin: f.origin } });
  const first = await claim();
  assertEquals(first.status, 200);
  const { key } = await first.json();
  assertMatch(key, /^[\w-]{43}$/);
  const second = await claim();
  assertEquals(second.status, 409);
  assertMatch(
    (await second.json()).text,
    new RegExp(`in use by another page already: run \`${literal(TYPED)} dashboard\``),
  );
  const wrong = await fetch(`${f.origin}/api/status`, {
    headers: { cookie, "x-rmcp-mux-key": "x".repeat(43) },
  });
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  // The key without the cookie is nothing either; both together open the API and the feed.
  const keyOnly = await fetch(`${f.origin}/api/status`, { headers: { "x-rmcp-mux-key": key } });
  assertEquals(keyOnly.status, 401);
  await keyOnly.body?.cancel();
  const both = await fetch(`${f.origin}/api/status`, {
    headers: { cookie, "x-rmcp-mux-key": key },
  });
  assertEquals(both.status, 200);
  assertEquals((await both.json()).daemon.services.length, 2);
  const feed = await fetch(`${f.origin}/api/events?key=${key}`, { headers: { cookie } });
  assertEquals(feed.status, 200, "the event stream takes the key in its URL");
  await feed.body?.cancel();
  assertEquals(f.daemon.status().services.find((s) => s.name === "steady")!.state, "running");
});

Deno.test("the feed: a snapshot at once, then a new one when something changes", async () => {
  await using f = await fleet();
  const page = await signInAsPage(f.daemon.dashboardLogin().url);
  const response = await fetch(`${f.origin}/api/events`, { headers: page });
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async (): Promise<{ at: number; daemon: DaemonStatus }> => {
    while (true) {
      const match = buffer.match(/^event: snapshot\ndata: (.*)\n\n/m);
      if (match) {
        buffer = buffer.slice(match.index! + match[0].length);
        return JSON.parse(match[1]!);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the feed ended");
      buffer += value;
    }
  };
  const first = await next();
  assertEquals(first.daemon.services.map((s) => s.name), ["lazy", "steady"]);
  const stopping = f.daemon.stop("lazy");
  let seen = await next();
  while (seen.daemon.services[0]!.state !== "stopped") seen = await next();
  await stopping;
  await reader.cancel();
});

Deno.test("actions answer in words; unknown services, wrong methods and paths say so", async () => {
  await using f = await fleet();
  const page = await signInAsPage(f.daemon.dashboardLogin().url);
  const post = (path: string) =>
    fetch(`${f.origin}${path}`, { method: "POST", headers: { ...page, origin: f.origin } });
  const pid = f.daemon.server("steady")!.status().server.pid;
  const restart = await post("/api/services/steady/restart");
  assertEquals(restart.status, 200);
  const outcome = await restart.json();
  assertEquals(outcome.ok, true);
  assertMatch(outcome.text, /^restarted steady: running \(pid (\d+)\)$/);
  assert(outcome.service.mux.server.pid !== pid, "a new process");
  const stop = await (await post("/api/services/lazy/stop")).json();
  assertEquals([stop.ok, stop.text], [true, "stopped lazy: stopped"]);
  const ghost = await post("/api/services/ghost/start");
  assertEquals(ghost.status, 404);
  assertMatch((await ghost.json()).text, /unknown service "ghost"; this daemon runs: lazy, steady/);
  const reload = await post("/api/reload");
  assertEquals(reload.status, 422);
  assertMatch((await reload.json()).text, /reload refused.*no configuration to reload/);
  const get = await fetch(`${f.origin}/api/reload`, { headers: page });
  assertEquals([get.status, get.headers.get("allow")], [405, "POST"]);
  await get.body?.cancel();
  const missing = await fetch(`${f.origin}/api/nothing`, { headers: page });
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("one listener: the dashboard at /, MCP at /mcp/NAME behind the token; the token also opens the API", async () => {
  await using f = await fleet();
  // The cookie is the dashboard's: it opens no MCP endpoint.
  const cookie = await signIn(f.daemon.dashboardLogin().url);
  const mcp = await fetch(`${f.origin}/mcp/steady`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  assertEquals(mcp.status, 401);
  assertMatch(await mcp.text(), /Authorization: Bearer/);
  const health = await fetch(`${f.origin}/healthz`);
  assertEquals(health.status, 200);
  await health.body?.cancel();
  const other = await fetch(`${f.origin}/favicon.ico`, { headers: { cookie } });
  assertEquals(other.status, 401, "not the dashboard's path: the listener's rules apply");
  await other.body?.cancel();
  // Scripts: the listener's bearer token in place of the cookie.
  const scripted = await fetch(`${f.origin}/api/status`, {
    headers: { authorization: `Bearer ${f.token}` },
  });
  assertEquals(scripted.status, 200);
  assertEquals((await scripted.json()).daemon.services.length, 2);
});

Deno.test("the page's files are served as they are, with a policy that allows nothing else", async () => {
  await using f = await fleet();
  const files = [["app.js", "text/javascript"], ["style.css", "text/css"]] as const;
  for (const [file, type] of files) {
    const response = await fetch(`${f.origin}/assets/${file}`);
    assertEquals(response.status, 200);
    assert(response.headers.get("content-type")!.startsWith(type));
    assertMatch(
      response.headers.get("content-security-policy")!,
      /default-src 'none'; script-src 'self'/,
    );
    assertEquals(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  }
  const missing = await fetch(`${f.origin}/assets/nothing.js`);
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("a daemon without an HTTP listener has no dashboard, and says how to get one", async () => {
  await using daemon = await Daemon.start({ services: [] });
  let message = "";
  try {
    daemon.dashboardLogin();
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /no HTTP listener, so no dashboard: start it with --http 127\.0\.0\.1:PORT/);
});
