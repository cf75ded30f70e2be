import {
  cookieOf,
  LOGIN_CODE_TTL_MS,
  Logins,
  MAX_LOGIN_CODES,
  refusal,
  sameSecret,
  SESSION_TTL_MS,
} from "../../src/dashboard/auth.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

Deno.test("a login code works once, and only before it expires", () => {
  let now = 1_000;
  const logins = new Logins(() => now);
  const { code, expiresAt } = logins.mintCode();
  assertEquals(expiresAt, 1_000 + LOGIN_CODE_TTL_MS);
  assertMatch(code, /^[A-Za-z0-9_-]{43}$/, "256 random bits, URL-safe");
  const opened = logins.redeem(code);
  assert(opened);
  assert(logins.hasSession(opened.session));
  assertEquals(logins.redeem(code), undefined, "spent");
  const late = logins.mintCode().code;
  now += LOGIN_CODE_TTL_MS;
  assertEquals(logins.redeem(late), undefined, "expired");
  assertEquals(logins.redeem(""), undefined);
  // The session outlives the code, not its own lifetime.
  assert(logins.hasSession(opened.session));
  now = 1_000 + SESSION_TTL_MS;
  assert(!logins.hasSession(opened.session));
});

Deno.test("login codes are bounded: the oldest gives way", () => {
  const logins = new Logins(() => 0);
  const first = logins.mintCode().code;
  const rest = Array.from({ length: MAX_LOGIN_CODES }, () => logins.mintCode().code);
  assertEquals(logins.redeem(first), undefined);
  assert(logins.redeem(rest.at(-1)!));
});

Deno.test("signing out ends the session; clear forgets everything", () => {
  const logins = new Logins();
  const a = logins.redeem(logins.mintCode().code)!.session;
  const b = logins.redeem(logins.mintCode().code)!.session;
  logins.endSession(a);
  assertEquals([logins.hasSession(a), logins.hasSession(b)], [false, true]);
  logins.clear();
  assert(!logins.hasSession(b));
});

Deno.test("a session's key is claimed once, belongs to that session only, and ends with it", () => {
  const logins = new Logins();
  const a = logins.redeem(logins.mintCode().code)!.session;
  const b = logins.redeem(logins.mintCode().code)!.session;
  assert(!logins.hasSession(a, ""), "no key claimed yet: nothing opens with a key");
  const key = logins.claimKey(a)!;
  assertMatch(key, /^[\w-]{43}$/);
  assertEquals(logins.claimKey(a), undefined, "claimed once");
  assert(logins.hasSession(a, key));
  assert(!logins.hasSession(a, `${key}x`));
  assert(!logins.hasSession(b, key), "another session's key opens nothing");
  logins.endSession(a);
  assert(!logins.hasSession(a, key));
  assertEquals(logins.claimKey(a), undefined, "an ended session has no key");
});

const request = (url: string, init: RequestInit = {}) => new Request(url, init);

Deno.test("requests from other sites are refused: DNS rebinding, foreign Origin, POST without Origin", () => {
  const home = "http://127.0.0.1:7878";
  assertEquals(refusal(request(`${home}/`)), undefined);
  assertEquals(refusal(request("http://localhost:7878/api/status")), undefined);
  assertEquals(refusal(request("http://[::1]:7878/")), undefined);
  assertMatch(
    refusal(request("http://rebind.example:7878/", { headers: { host: "rebind.example:7878" } }))!,
    /Host "rebind\.example:7878" is not this machine's loopback address/,
  );
  assertMatch(
    refusal(request(`${home}/api/events`, { headers: { origin: "http://evil.example" } }))!,
    /requests from http:\/\/evil\.example are refused/,
  );
  assertMatch(
    refusal(request(`${home}/api/reload`, { method: "POST" }))!,
    /must come from the dashboard page/,
  );
  assertEquals(
    refusal(request(`${home}/api/reload`, { method: "POST", headers: { origin: home } })),
    undefined,
  );
  // Another port of the same host is another origin.
  assert(
    refusal(
      request(`${home}/api/reload`, { method: "POST", headers: { origin: "http://127.0.0.1:9" } }),
    ),
  );
});

Deno.test("cookies are read by exact name; secrets compare whole", () => {
  const r = request("http://127.0.0.1:1/", {
    headers: { cookie: "a=1; rmcp_mux_dashboard_1=xyz; rmcp_mux_dashboard_10=no" },
  });
  assertEquals(cookieOf(r, "rmcp_mux_dashboard_1"), "xyz");
  assertEquals(cookieOf(r, "missing"), undefined);
  assert(sameSecret("abc", "abc"));
  assert(!sameSecret("abc", "abd"));
  assert(!sameSecret("abc", "abcd"));
});
