/**
 * A real headless browser: Debian's chromium driven by playwright-core. A
 * missing browser fails the test with what to install — never skips it.
 */

import { type Browser, chromium } from "playwright-core";

/** Where chromium is: `$CHROMIUM`, else the first of the usual paths that exists. */
export function chromiumPath(): string {
  const candidates = [
    Deno.env.get("CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ].filter((p): p is string => Boolean(p));
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(
    `no chromium found (looked at ${candidates.join(", ")}): install it with ` +
      "`apt-get install -y chromium` (.ci/run does) or set CHROMIUM to its path",
  );
}

/**
 * Test modules run as threads of one process, sharing one umask. Binding a
 * private socket used to narrow it to 0177 for an instant, and two binds
 * overlapping in two threads could leave it there for good (the second saved
 * the first's narrowed mask and restored it last); chromium started under it
 * cannot use the directories it makes: it dies with SIGTRAP at every launch.
 * Binds no longer touch the umask (but for one rare case, see
 * `listenPrivately`); this guard stays: a browser gets the usual 022.
 */
function saneUmask(): void {
  const mask = Deno.umask();
  if ((mask & 0o700) !== 0) {
    console.error(`chromium launch: the test process umask is ${mask.toString(8)}; using 022`);
    Deno.umask(0o022);
  }
}

/** How long launches are retried before a test fails on the browser itself. */
const LAUNCH_WINDOW_MS = 60_000;

/**
 * Launch headless chromium; close it with `await using`. A launch that dies
 * before the browser is up (SIGTRAP, seen while the whole suite runs in
 * parallel on 2 cores — for several seconds at a time, never alone, nor under
 * CPU load alone) is tried again after a growing pause, for up to
 * {@link LAUNCH_WINDOW_MS}: that is the environment, not the dashboard. Each
 * failed attempt is said on stderr.
 */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const started = Date.now();
  // Its own home: test modules run in parallel threads of one process, so the
  // environment the browser would inherit (XDG_RUNTIME_DIR and the like) is
  // whatever other tests set it to.
  const home = Deno.makeTempDirSync({ prefix: "rmcp-mux-chromium-" });
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_CACHE_HOME: `${home}/.cache`,
    XDG_RUNTIME_DIR: home,
  };
  let browser: Browser | undefined;
  for (let attempt = 1; !browser; attempt++) {
    saneUmask();
    try {
      browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, env });
    } catch (error) {
      if (Date.now() - started > LAUNCH_WINDOW_MS) throw error;
      const why = String(error).split("\n").find((l) => /signal=|exitCode=/.test(l)) ?? "";
      console.error(`chromium launch ${attempt} failed ${why.trim()}; again`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5_000)));
    }
  }
  const launched = browser;
  return Object.assign(launched, {
    [Symbol.asyncDispose]: async () => {
      await launched.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  });
}
