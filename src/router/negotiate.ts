/**
 * Protocol version negotiation, per client.
 *
 * The upstream is initialized once, with the newest revision the mux speaks.
 * Each client then gets the revision it asked for when the mux can serve it,
 * otherwise the upstream's — and never a revision the mux does not serve: a
 * 2026-07-28 version in an `initialize` answer would make a dual-era client
 * treat the connection as modern (and reject every result without
 * `resultType`).
 *
 * @module
 */

/** MCP revisions the mux can serve to clients, oldest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  "2024-11-05",
  "2025-03-26",
  "2025-06-18",
  "2025-11-25",
];

/** The newest revision the mux speaks; used for its own upstream initialize. */
export const LATEST_PROTOCOL_VERSION = "2025-11-25";

/** The version a client gets, given what it asked for and what the upstream agreed to. */
export function negotiateVersion(requested: unknown, upstreamVersion: string): string {
  if (typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)) {
    return requested;
  }
  return SUPPORTED_PROTOCOL_VERSIONS.includes(upstreamVersion)
    ? upstreamVersion
    : LATEST_PROTOCOL_VERSION;
}

/** True when `version` is at least `minimum` (revisions are ISO dates, so they sort as text). */
export function versionAtLeast(version: string, minimum: string): boolean {
  return version >= minimum;
}

/** JSON-RPC batches exist in revisions up to 2025-03-26 only. */
export function allowsBatches(version: string | undefined): boolean {
  return version === undefined || version <= "2025-03-26";
}
