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
 * Launch headless chromium; close it with `await using`. A launch that dies
 * before the browser is up (seen once as SIGTRAP on a loaded machine) is tried
 * again, at most twice: that is the environment, not the dashboard.
 */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  let browser: Browser | undefined;
  for (let attempt = 1; !browser; attempt++) {
    try {
      browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  const launched = browser;
  return Object.assign(launched, { [Symbol.asyncDispose]: () => launched.close() });
}
