/**
 * The dashboard over real HTTP in front of a real daemon: who gets in, who
 * is refused and why, the live feed, and the actions.
 */

import { Daemon } from "../../src/daemon/daemon.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { serveDashboard, signIn } from "../_helpers/dashboard.ts";
import { fakeServer, FAST } from "../_helpers/mux.ts";

async function fleet(): Promise<Daemon & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "rmcp-mux-dash-" });
  const daemon = await Daemon.start({
    services: [
      { name: "steady", options: { ...FAST, ...fakeServer(), socket: `${dir}/steady.sock` } },
      {
        name: "lazy",
        options: { ...FAST, ...fakeServer(), socket: `${dir}/lazy.sock`, lazyStart: true },
      },
    ],
  });
  await daemon.server("steady")!.waitFor("running");
  return Object.assign(daemon, { dir });
}

/** One HTTP/1.1 GET written by hand (headers fetch would not send as given); the raw answer. */
async function rawGet(origin: string, path: string, headers: Record<string, string>) {
  const url = new URL(origin);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\nconnection: close\r\n\r\n`));
  let text = "";
  for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}

async function body(response: Response): Promise<string> {
  return await response.text();
}

Deno.test("login: the one-time code becomes an HttpOnly SameSite=Strict cookie, and works once", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon);
  const { url, expiresAt } = served.dashboard.login(served.origin);
  assertMatch(url, /^http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]{43}$/);
  assert(expiresAt > Date.now());
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  assertEquals(response.status, 303);
  assertEquals(response.headers.get("location"), "/", "the code leaves the address bar");
  const cookie = response.headers.get("set-cookie")!;
  assertMatch(
    cookie,
    new RegExp(`^${served.cookie}=[\\w-]{43}; HttpOnly; SameSite=Strict; Path=/`),
  );
  const again = await fetch(url, { redirect: "manual" });
  assertEquals(again.status, 401);
  assertMatch(await body(again), /already used or has expired/);
  const page = await fetch(`${served.origin}/`, { headers: { cookie: cookie.split(";")[0]! } });
  assertEquals(page.status, 200);
  assertMatch(await body(page), /<script type="module" src="\/assets\/app\.js"><\/script>/);
  await Deno.remove(daemon.dir, { recursive: true });
});

Deno.test("no cookie, a wrong cookie or a signed-out one: 401 for the page and the API", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon);
  const wrong = `${served.cookie}=${"x".repeat(43)}`;
  const attempts: Record<string, string>[] = [
    {},
    { cookie: wrong },
    { authorization: "Bearer nope" },
  ];
  for (const headers of attempts) {
    for (const path of ["/", "/api/status", "/api/events"]) {
      const response = await fetch(`${served.origin}${path}`, { headers });
      assertEquals(response.status, 401, `${path} ${JSON.stringify(headers)}`);
      assertMatch(await body(response), /rmcp-mux dashboard/, "says how to get in");
    }
  }
  const cookie = await signIn(served.dashboard.login(served.origin).url);
  const out = await fetch(`${served.origin}/logout`, {
    method: "POST",
    headers: { cookie, origin: served.origin },
    redirect: "manual",
  });
  await out.body?.cancel();
  assertEquals(out.status, 303);
  const after = await fetch(`${served.origin}/api/status`, { headers: { cookie } });
  assertEquals(after.status, 401);
  await after.body?.cancel();
  await Deno.remove(daemon.dir, { recursive: true });
});

Deno.test("other sites are refused: a foreign Origin, a rebinding Host, a POST without Origin", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon);
  const cookie = await signIn(served.dashboard.login(served.origin).url);
  const restart = (headers: Record<string, string>) =>
    fetch(`${served.origin}/api/services/steady/restart`, {
      method: "POST",
      headers: { cookie, ...headers },
    });
  const foreign = await restart({ origin: "http://evil.example" });
  assertEquals(foreign.status, 403);
  assertMatch((await foreign.json()).text, /requests from http:\/\/evil\.example are refused/);
  const bare = await restart({});
  assertEquals(bare.status, 403);
  await bare.body?.cancel();
  const events = await fetch(`${served.origin}/api/events`, {
    headers: { cookie, origin: "http://evil.example" },
  });
  assertEquals(events.status, 403, "a foreign page cannot read the feed either");
  await events.body?.cancel();
  // A DNS-rebinding page reaches the port under its own name: its Host gives it away.
  // (fetch sets Host from the URL, so this request is written by hand.)
  const rebound = await rawGet(served.origin, "/api/status", {
    host: `attacker.example:${new URL(served.origin).port}`,
    cookie,
  });
  assertMatch(rebound, /^HTTP\/1\.1 403 /);
  assertMatch(rebound, /not this machine's loopback address/);
  assertEquals(daemon.status().services[1]!.mux!.restarts.total, 0, "nothing was restarted");
  await Deno.remove(daemon.dir, { recursive: true });
});

Deno.test("the feed: a snapshot at once, the next within a second of a change", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon);
  const cookie = await signIn(served.dashboard.login(served.origin).url);
  const response = await fetch(`${served.origin}/api/events`, { headers: { cookie } });
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async (): Promise<{ at: number; daemon: ReturnType<Daemon["status"]> }> => {
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
  const stopping = daemon.stop("lazy");
  let seen = await next();
  while (seen.daemon.services[0]!.state !== "stopped") seen = await next();
  await stopping;
  await reader.cancel();
  await Deno.remove(daemon.dir, { recursive: true });
});

Deno.test("actions answer in words; unknown services, wrong methods and paths say so", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon, "the-http-token");
  const cookie = await signIn(served.dashboard.login(served.origin).url);
  const post = (path: string) =>
    fetch(`${served.origin}${path}`, {
      method: "POST",
      headers: { cookie, origin: served.origin },
    });
  const pid = daemon.status().services[1]!.mux!.server.pid;
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
  const get = await fetch(`${served.origin}/api/reload`, { headers: { cookie } });
  assertEquals([get.status, get.headers.get("allow")], [405, "POST"]);
  await get.body?.cancel();
  const missing = await fetch(`${served.origin}/api/nothing`, { headers: { cookie } });
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  // Not the dashboard's path: left to whoever mounts it.
  assertEquals(
    await served.dashboard.handle(new Request(`${served.origin}/mcp/steady`)),
    undefined,
  );
  // The HTTP listener's token works for scripts, in place of the cookie.
  const scripted = await fetch(`${served.origin}/api/status`, {
    headers: { authorization: "Bearer the-http-token" },
  });
  assertEquals(scripted.status, 200);
  assertEquals((await scripted.json()).daemon.services.length, 2);
  await Deno.remove(daemon.dir, { recursive: true });
});

Deno.test("the page's files are served as they are, with a policy that allows nothing else", async () => {
  await using daemon = await fleet();
  await using served = serveDashboard(daemon);
  const files = [["app.js", "text/javascript"], ["style.css", "text/css"]] as const;
  for (const [file, type] of files) {
    const response = await fetch(`${served.origin}/assets/${file}`);
    assertEquals(response.status, 200);
    assert(response.headers.get("content-type")!.startsWith(type));
    assertMatch(
      response.headers.get("content-security-policy")!,
      /default-src 'none'; script-src 'self'/,
    );
    assertEquals(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  }
  const missing = await fetch(`${served.origin}/assets/../../etc/passwd`);
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  await Deno.remove(daemon.dir, { recursive: true });
});
