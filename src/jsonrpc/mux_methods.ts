/**
 * The mux's own JSON-RPC methods. Dependency-free on purpose: the `proxy` and
 * `health` commands import these names without loading the router.
 *
 * @module
 */

/** Method of the mux's own health check (answered by a real `ping` round trip upstream). */
export const HEALTH_METHOD = "rmcp-mux/health";
/** Method of the mux's own status snapshot (answered without touching the server). */
export const STATUS_METHOD = "rmcp-mux/status";
/**
 * Notification a client of the mux may send first to say what it is
 * (`params.transport: "proxy"` from `rmcp-mux proxy`). Consumed by the mux, never forwarded.
 */
export const HELLO_METHOD = "rmcp-mux/hello";
/**
 * `_meta` key (value `true`) on the graceful end of a `subscriptions/listen`
 * stream that the mux sends `rmcp-mux proxy` because the mux itself stops
 * (shutdown, a daemon restart, a reload that recreates the socket). The
 * proxy keeps the host's stream open and listens again once reconnected;
 * it delivers this end only if the mux does not come back.
 */
export const MUX_STOPPING_META = "rmcp-mux/stopping";
