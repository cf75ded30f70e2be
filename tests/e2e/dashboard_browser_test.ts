/**
 * The dashboard in a real headless browser (Debian's chromium through
 * playwright-core), in front of a real daemon: the reference server, a steady
 * fixture whose stderr tries to inject markup, and one that can be broken
 * into a crash loop and fixed again. The login link comes from
 * `rmcp-mux dashboard --open` talking to the daemon's control socket.
 *
 * With RMCP_MUX_SCREENSHOTS=DIR (`deno task screenshots` sets docs/) the
 * screenshots of the README are written there; otherwise to a temp dir.
 */

import type { Page } from "playwright-core";
import { ControlServer } from "../../src/control/server.ts";
import type { DaemonService } from "../../src/daemon/daemon.ts";
import { dashboardControl } from "../../src/dashboard/control.ts";
import { assert, assertEquals, assertMatch, assertNotEquals } from "../_helpers/assert.ts";
import { launchBrowser } from "../_helpers/browser.ts";
import { literal, runCli, TYPED } from "../_helpers/cli.ts";
import { startDashboardDaemon } from "../_helpers/dashboard.ts";
import { connectHttpClient } from "../_helpers/http.ts";
import { delay } from "../../src/async/wait.ts";
import { connectClient, everythingServer, fakeServer, FAST, textOf } from "../_helpers/mux.ts";

/** Markup a server might print; the page must show it as text. */
const HOSTILE_STDERR =
  `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;

function services(dir: string): DaemonService[] {
  return [
    {
      name: "everything",
      options: { ...FAST, ...everythingServer(), socket: `${dir}/everything.sock` },
    },
    {
      name: "flaky",
      options: {
        ...FAST,
        ...fakeServer("--crash-if-exists", `${dir}/broken`),
        socket: `${dir}/flaky.sock`,
      },
    },
    {
      name: "steady",
      options: {
        ...FAST,
        ...fakeServer("--stderr", HOSTILE_STDERR),
        socket: `${dir}/steady.sock`,
      },
    },
  ];
}

const card = (page: Page, name: string) => page.locator(`article[data-service="${name}"]`);
const field = (page: Page, name: string, f: string) =>
  card(page, name).locator(`[data-field="${f}"]`);

/** Wait until a card's field reads `text` (the page redraws on every snapshot). */
async function fieldShows(page: Page, name: string, f: string, text: RegExp): Promise<string> {
  await field(page, name, f).filter({ hasText: text }).waitFor({ timeout: 60_000 });
  return (await field(page, name, f).textContent()) ?? "";
}

async function screenshot(page: Page, file: string): Promise<void> {
  const dir = Deno.env.get("RMCP_MUX_SCREENSHOTS") ??
    await Deno.makeTempDir({ prefix: "rmcp-mux-shots-" });
  await page.screenshot({ path: `${dir}/${file}`, fullPage: true });
  const size = (await Deno.stat(`${dir}/${file}`)).size;
  assert(size > 10_000, `${file}: a real picture (${size} bytes)`);
}

Deno.test("the dashboard in a browser: login link, live cards and clients, restart, failure and repair, refusals", async () => {
  // The daemon as `rmcp-mux --config … --http 127.0.0.1:0` runs it: HTTP listener, control socket.
  await using served = await startDashboardDaemon(services, {
    reload: () => Promise.resolve(services(served.dir)),
    historyStepMs: 500,
  });
  const { daemon, dir } = served;
  await using _control = await ControlServer.start(
    `${dir}/control.sock`,
    daemon,
    () => {},
    dashboardControl(daemon),
  );

  // `rmcp-mux dashboard --open`: a fresh link on stdout, handed to $BROWSER.
  const opener = `${dir}/browser.sh`;
  await Deno.writeTextFile(opener, `#!/bin/sh\nprintf '%s' "$1" > '${dir}/opened'\n`);
  await Deno.chmod(opener, 0o755);
  const cli = await runCli(["dashboard", "--open", "--control", `${dir}/control.sock`], {
    env: { BROWSER: opener },
  });
  assertEquals(cli.code, 0, cli.stderr);
  const url = cli.stdout.trim();
  assertMatch(url, new RegExp(`^${served.origin}/login\\?code=[\\w-]{43}$`));
  assertMatch(cli.stderr, /one-time login link to the dashboard; it works once, within \d+ s/);
  let opened = "";
  while (opened === "") opened = await Deno.readTextFile(`${dir}/opened`).catch(() => "");
  assertEquals(opened, url);

  await using browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const offsite: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(served.origin) && !request.url().startsWith("data:")) {
      offsite.push(request.url());
    }
  });
  await page.goto(url);
  assertEquals(page.url(), `${served.origin}/`, "the code is gone from the address bar");
  const [cookie] = await context.cookies();
  assertEquals([cookie?.httpOnly, cookie?.sameSite], [true, "Strict"]);

  // Every card, live, in words.
  for (const name of ["everything", "flaky", "steady"]) {
    await fieldShows(page, name, "state", /^running$/);
    assertMatch(await field(page, name, "pid").textContent() ?? "", /^\d+$/);
  }
  await page.locator('[data-field="summary"]', { hasText: "3 services: 3 running" }).waitFor();
  await page.locator('[data-field="link"]', { hasText: "live" }).waitFor();

  // Clients connect, over the socket and over HTTP (the same listener): each shows up in its
  // service's card, with what it said about itself and how it came.
  await using sdk = await connectClient(`${dir}/everything.sock`, "dashboard-e2e-client");
  const row = card(page, "everything").locator("tr", { hasText: "dashboard-e2e-client 1.0.0" });
  await row.waitFor();
  assertMatch(await row.textContent() ?? "", /\(initialize era\).*socket/);
  await using web = await connectHttpClient(
    { url: `${served.origin}/mcp/everything`, token: served.token },
    "dashboard-e2e-http",
  );
  const webRow = card(page, "everything").locator("tr", { hasText: "dashboard-e2e-http 1.0.0" });
  await webRow.waitFor();
  assertMatch(await webRow.textContent() ?? "", /\(initialize era\)http/);
  await web.client.ping();
  await card(page, "everything").getByText(`${served.origin}/mcp/everything`).waitFor();
  await page.locator(".daemon", { hasText: `HTTP ${served.origin}/mcp (1 session)` }).waitFor();
  // Traffic at a steady pace until the sparklines have a dozen points (500 ms each here).
  for (let i = 0; (daemon.history().everything?.points.length ?? 0) < 12; i++) {
    const echo = await sdk.client.callTool({ name: "echo", arguments: { message: `m${i}` } });
    assertEquals(textOf(echo), `Echo: m${i}`);
    await delay(10 + (i % 20));
  }
  // Its request count moved (12 calls and more).
  await row.locator('[data-field="requests"]').filter({ hasText: /^[1-9]\d+$/ }).waitFor();

  // A server's stderr is shown as text, never run as markup.
  const stderr = await card(page, "steady").locator('[data-field="stderr"]').textContent();
  assertEquals(stderr, HOSTILE_STDERR);
  assertEquals(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
  assertEquals(await card(page, "steady").locator("img, script").count(), 0);

  await screenshot(page, "dashboard.png");

  // Restart from the page: asked, confirmed, the state passes through restarting, a new pid.
  const oldPid = await field(page, "steady", "pid").textContent();
  // Record every state the badge shows (it runs in the page: no DOM types here).
  await page.evaluate(`(() => {
    const seen = [];
    const part = document.querySelector('article[data-service="steady"] [data-part="head"]');
    const note = () => {
      const text = part.querySelector('[data-field="state"]')?.textContent ?? "";
      if (seen.at(-1) !== text) seen.push(text);
    };
    note();
    new MutationObserver(note).observe(part, { childList: true, subtree: true });
    globalThis.__states = seen;
  })()`);
  await card(page, "steady").getByRole("button", { name: "Restart" }).click();
  await card(page, "steady").getByText("Restart steady? Its clients stay connected.").waitFor();
  await card(page, "steady").getByRole("button", { name: "Confirm restart" }).click();
  const outcome = card(page, "steady").locator(".outcome", { hasText: /^restarted steady/ });
  await outcome.waitFor();
  const [, newPid] = (await outcome.textContent())!.match(
    /^restarted steady: running \(pid (\d+)\)$/,
  )!;
  assertNotEquals(newPid, oldPid);
  await fieldShows(page, "steady", "pid", new RegExp(`^${newPid}$`));
  await fieldShows(page, "steady", "state", /^running$/);
  const states = await page.evaluate(() => (globalThis as { __states?: string[] }).__states);
  assertEquals(states?.[0], "running");
  assert(states!.indexOf("restarting…") > 0, `passes through restarting: ${states}`);
  assertEquals(states?.at(-1), "running");

  // Break one: it crash-loops until the budget is spent, and the page says why.
  await Deno.writeTextFile(`${dir}/broken`, "");
  await card(page, "flaky").getByRole("button", { name: "Restart" }).click();
  await card(page, "flaky").getByRole("button", { name: "Confirm restart" }).click();
  await card(page, "flaky").locator(".outcome", { hasText: /^restarted flaky: / }).waitFor();
  await fieldShows(page, "flaky", "state", /^failed$/);
  assertMatch(
    await field(page, "flaky", "reason").textContent() ?? "",
    /exit code 3; it exited \d+ times within/,
  );
  assertMatch(
    await field(page, "flaky", "stderr").textContent() ?? "",
    /fake server: crashing on start as asked/,
  );
  await page.locator('[data-field="summary"]', { hasText: "2 running, 1 failed" }).waitFor();
  await card(page, "flaky").locator(".events li.bad", { hasText: /^.*exited \(exit code 3\)/ })
    .first().waitFor({ state: "attached" });
  await screenshot(page, "dashboard-failing.png");

  // Fix it and bring it back from the page.
  await Deno.remove(`${dir}/broken`);
  await card(page, "flaky").getByRole("button", { name: "Restart" }).click();
  await card(page, "flaky").getByRole("button", { name: "Confirm restart" }).click();
  await card(page, "flaky").locator(".outcome", { hasText: /^restarted flaky: running/ })
    .waitFor();
  await fieldShows(page, "flaky", "state", /^running$/);

  // Stop asks first; cancelling leaves it running. Reload shows its report inline.
  await card(page, "steady").getByRole("button", { name: "Stop" }).click();
  await card(page, "steady").getByRole("button", { name: "Cancel" }).click();
  await card(page, "steady").getByRole("button", { name: "Stop" }).waitFor();
  assertEquals(daemon.status().services[2]!.state, "running");
  await page.getByRole("button", { name: "Reload config" }).click();
  await page.getByRole("button", { name: "Confirm reload" }).click();
  await page.locator("#header .outcome", {
    hasText:
      "reloaded; added: none; removed: none; applied in place: none; restarted in place: none; " +
      "new socket: none; unchanged: everything, flaky, steady",
  }).waitFor();

  // Without the cookie, or with a forged one: 401, and the page says how to get in.
  const stranger = await browser.newContext();
  const denied = await (await stranger.newPage()).goto(`${served.origin}/`);
  assertEquals(denied?.status(), 401);
  assertMatch(await denied!.text(), new RegExp(`Not signed in.*${literal(TYPED)} dashboard`, "s"));
  await stranger.addCookies([{ name: served.cookie, value: "forged", url: served.origin }]);
  const forged = await (await stranger.newPage()).goto(`${served.origin}/api/status`);
  assertEquals(forged?.status(), 401);
  await stranger.close();

  // Another site on this machine (another port: same site, so the cookie goes along) cannot act:
  // its request carries its own Origin and is refused.
  const leaked: string[] = [];
  await using evil = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      leaked.push(request.headers.get("cookie") ?? "");
      return new Response(
        `<!doctype html><script>
        fetch(${JSON.stringify(`${served.origin}/api/services/steady/stop`)},
          { method: "POST", mode: "no-cors", credentials: "include" });
      </script>`,
        { headers: { "content-type": "text/html" } },
      );
    },
  );
  // The listener answers 403 to its Origin (a browser may then hide even that from the page:
  // the request "fails"); either way the answer came back, so the daemon is done with it.
  const stopUrl = `${served.origin}/api/services/steady/stop`;
  const attacked = new Promise<string>((resolve) => {
    page.on("response", (r) => r.url() === stopUrl && resolve(`answered ${r.status()}`));
    page.on("requestfailed", (r) => r.url() === stopUrl && resolve("hidden from the page"));
  });
  await page.goto(`http://127.0.0.1:${evil.addr.port}/`);
  assertMatch(await attacked, /^(answered 403|hidden from the page)$/);
  assertEquals(daemon.status().services[2]!.state, "running", "nothing was stopped");
  assertEquals(String(daemon.status().services[2]!.mux!.server.pid), newPid);
  // Cookies are not port-scoped: the app on the other port received the session cookie. From a
  // program (any Origin it likes) it still opens nothing: the page's key stays with the page.
  const stolen = leaked.find((c) => c.includes(`${served.cookie}=`));
  assert(stolen, `the browser sent the cookie to the other port: ${JSON.stringify(leaked)}`);
  for (const path of ["/api/status", "/api/services/steady/stop", "/api/key"]) {
    const replay: Response = await fetch(`${served.origin}${path}`, {
      method: path === "/api/status" ? "GET" : "POST",
      headers: { cookie: stolen, origin: served.origin },
    });
    assertEquals(replay.status, path === "/api/key" ? 409 : 401, path);
    await replay.body?.cancel();
  }
  assertEquals(daemon.status().services[2]!.state, "running", "nothing was stopped");

  // Sign out: the page says so, and the session is gone.
  await page.goto(`${served.origin}/`);
  await page.locator('[data-field="link"]', { hasText: "live" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator('[data-field="signed-out"]').waitFor();
  const after = await (await context.newPage()).goto(`${served.origin}/`);
  assertEquals(after?.status(), 401, "signed out: the cookie opens nothing any more");

  assertEquals(pageErrors, [], "no script errors");
  assertEquals(offsite.filter((u) => !u.startsWith(`http://127.0.0.1:${evil.addr.port}`)), []);
  await context.close();
});
