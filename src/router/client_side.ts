/**
 * What a client's transport (a socket connection, an HTTP session) talks to:
 * the router itself in shared isolation, or the pool that picks a process
 * for each client in `roots`/`client` isolation. One contract, so every
 * transport gets isolation for free.
 *
 * @module
 */

import type { LineEvent } from "../jsonrpc/framing.ts";
import type { ClientPort, ClientSession, ClientTransport } from "./session.ts";

/** The client-facing side of a router, or of a pool of routers. */
export interface ClientSide {
  /** A client connected. It is not admitted yet: see {@link admit}. */
  connect(port: ClientPort, transport?: ClientTransport): ClientSession;
  /** The client got a slot (`--max-active-clients`): process what it sent while waiting. */
  admit(session: ClientSession): void;
  /** The client never got a slot: answer its waiting requests with `message`, then close. */
  reject(session: ClientSession, message: string): void;
  /** One framing event from the client. */
  receive(session: ClientSession, event: LineEvent): void;
  /** The client is gone: forget it, cancel its work, release what it held. */
  disconnect(session: ClientSession): void;
  /** False while the client waits for a slot with a full buffer. */
  canRead(session: ClientSession): boolean;
  /** True while the way toward this client's server has room (its reads may go on). */
  hasRoomFor(session: ClientSession): boolean;
  /** Resolves when {@link hasRoomFor} may have become true. */
  waitForRoom(session: ClientSession): Promise<void>;
  /**
   * Requests of this client held before reaching a router (not yet in
   * `session.openRequests`): a client that half-closes is still owed their answers.
   */
  heldFor?(session: ClientSession): number;
}
