/**
 * `rmcp-mux http token`: print the HTTP bearer token (made on first use), for
 * host configs: `--header "Authorization: Bearer $(rmcp-mux http token)"`.
 *
 * @module
 */

import { defaultTokenFile, loadOrCreateToken } from "../http/token.ts";
import { reportError } from "./lifecycle.ts";

/** Print the token on stdout (nothing else), creating it when there is none yet. */
export async function runHttpTokenCommand(tokenFile: string | undefined): Promise<number> {
  try {
    const path = tokenFile ?? defaultTokenFile({
      HOME: Deno.env.get("HOME"),
      XDG_STATE_HOME: Deno.env.get("XDG_STATE_HOME"),
    });
    console.log(await loadOrCreateToken(path));
    return 0;
  } catch (error) {
    return reportError(error);
  }
}
