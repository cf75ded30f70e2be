/**
 * Who may see the dashboard: one-time login codes (minted by the daemon for
 * `rmcp-mux dashboard`), the browser sessions they are exchanged for, and the
 * request checks against other sites (Host for DNS rebinding, Origin for
 * cross-site requests). Pure apart from the random numbers; time is injected.
 *
 * @module
 */

/** How long a login code can be used, ms. */
export const LOGIN_CODE_TTL_MS = 120_000;
/** Login codes outstanding at once (the oldest is dropped). */
export const MAX_LOGIN_CODES = 16;
/** How long a browser session lasts after login, ms. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Browser sessions at once (the oldest is dropped). */
export const MAX_SESSIONS = 32;

/** A random, URL-safe secret of `bytes` bytes. */
export function randomSecret(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Compare secrets in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Secrets that expire: login codes (used once) and sessions (used until they expire). */
class ExpiringSecrets {
  readonly #expiry = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(ttlMs: number, max: number, now: () => number) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#now = now;
  }

  mint(): { secret: string; expiresAt: number } {
    this.#prune();
    // Maps keep insertion order: the first key is the oldest.
    while (this.#expiry.size >= this.#max) this.#expiry.delete(this.#expiry.keys().next().value!);
    const secret = randomSecret();
    const expiresAt = this.#now() + this.#ttlMs;
    this.#expiry.set(secret, expiresAt);
    return { secret, expiresAt };
  }

  valid(secret: string): boolean {
    const expiresAt = this.#expiry.get(secret);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.#now()) return true;
    this.#expiry.delete(secret);
    return false;
  }

  revoke(secret: string): void {
    this.#expiry.delete(secret);
  }

  clear(): void {
    this.#expiry.clear();
  }

  #prune(): void {
    const now = this.#now();
    for (const [secret, expiresAt] of this.#expiry) {
      if (expiresAt <= now) this.#expiry.delete(secret);
    }
  }
}

/**
 * One-time login codes and the sessions they open. A session has two halves:
 * the cookie, and a key the page claims once and keeps in its origin's
 * storage. Browsers send a 127.0.0.1 cookie to every port of 127.0.0.1 (so a
 * local web app on another port receives it); storage is scoped to the port,
 * so the cookie alone opens nothing.
 */
export class Logins {
  readonly #codes: ExpiringSecrets;
  readonly #sessions: ExpiringSecrets;
  /** Each open session's key, and whether a page has claimed it yet. */
  readonly #keys = new Map<string, { key: string; claimed: boolean }>();

  constructor(now: () => number = Date.now) {
    this.#codes = new ExpiringSecrets(LOGIN_CODE_TTL_MS, MAX_LOGIN_CODES, now);
    this.#sessions = new ExpiringSecrets(SESSION_TTL_MS, MAX_SESSIONS, now);
  }

  /** A new login code, valid once within {@link LOGIN_CODE_TTL_MS}. */
  mintCode(): { code: string; expiresAt: number } {
    const { secret, expiresAt } = this.#codes.mint();
    return { code: secret, expiresAt };
  }

  /** Use a login code (once): a new session id, or `undefined` if the code is unknown or spent. */
  redeem(code: string): { session: string; expiresAt: number } | undefined {
    if (!this.#codes.valid(code)) return undefined;
    this.#codes.revoke(code);
    const { secret, expiresAt } = this.#sessions.mint();
    // Sessions dropped by the bound (or expired) take their keys with them.
    for (const old of this.#keys.keys()) if (!this.#sessions.valid(old)) this.#keys.delete(old);
    this.#keys.set(secret, { key: randomSecret(), claimed: false });
    return { session: secret, expiresAt };
  }

  /**
   * The session's key, handed out once (to the page that the login opened);
   * `undefined` when the session is not open or its key was claimed already.
   */
  claimKey(session: string): string | undefined {
    const entry = this.hasSession(session) ? this.#keys.get(session) : undefined;
    if (!entry || entry.claimed) return undefined;
    entry.claimed = true;
    return entry.key;
  }

  /** True while the session is open (and, when `key` is given, it is the session's key). */
  hasSession(session: string, key?: string): boolean {
    if (!this.#sessions.valid(session)) return false;
    if (key === undefined) return true;
    const entry = this.#keys.get(session);
    return entry !== undefined && entry.claimed && sameSecret(entry.key, key);
  }

  /** Sign a session out. */
  endSession(session: string): void {
    this.#sessions.revoke(session);
    this.#keys.delete(session);
  }

  /** Forget every code and session. */
  clear(): void {
    this.#codes.clear();
    this.#sessions.clear();
    this.#keys.clear();
  }
}

/** Host names that reach this machine only. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Why a request must be refused before anything else, or `undefined`:
 * a Host that is not a loopback name (a DNS-rebinding page), an Origin that
 * is not this page's own, or a state-changing request without an Origin.
 */
export function refusal(request: Request): string | undefined {
  const url = new URL(request.url);
  const host = request.headers.get("host") ?? url.host;
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  if (!LOOPBACK_HOSTS.has(hostname)) {
    return `Host "${host}" is not this machine's loopback address; open the dashboard at ` +
      `http://127.0.0.1 or http://localhost`;
  }
  const origin = request.headers.get("origin");
  const safe = request.method === "GET" || request.method === "HEAD";
  if (origin === null) {
    return safe ? undefined : "a request that changes something must come from the dashboard page";
  }
  if (origin.toLowerCase() !== `${url.protocol}//${host}`.toLowerCase()) {
    return `requests from ${origin} are refused: only the dashboard's own page may call it`;
  }
  return undefined;
}

/** The value of cookie `name` in a request, if sent. */
export function cookieOf(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The session cookie's name. Browsers share cookies between the ports of one
 * host, so the port is part of the name: two daemons never overwrite each
 * other's session.
 */
export function cookieName(request: Request): string {
  const port = new URL(request.url).port || "80";
  return `rmcp_mux_dashboard_${port}`;
}
