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

/** Launch headless chromium; close it with `await using`. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
