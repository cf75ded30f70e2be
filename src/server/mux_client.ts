/**
 * One client of a mux, whatever carries it (a socket connection, an HTTP
 * session): its router session, its slot under `--max-active-clients` (taken
 * at once, or waited for up to `--client-wait-ms`, then refused), and its end.
 * Every transport opens clients through {@link MuxServer.openClient}, so the
 * admission rules and the limits are the same for all of them.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { LineEvent } from "../jsonrpc/framing.ts";
import type { ClientSide } from "../router/client_side.ts";
import type { ClientPort, ClientSession, ClientTransport } from "../router/session.ts";
import type { Semaphore } from "./semaphore.ts";

/** What a client needs from its mux. */
export interface MuxClientContext {
  /** The router (shared isolation), or the pool that binds each client to a process. */
  router: ClientSide;
  semaphore: Semaphore;
  service: string;
  clientWaitMs: number;
  log: Logger;
}

/** A client's session in the mux, from admission to disconnect. Close it exactly once it is gone. */
export class MuxClient {
  readonly #session: ClientSession;
  readonly #port: ClientPort;
  readonly #ctx: MuxClientContext;
  /** Made when first needed: most clients never wait for anything (idle clients stay small). */
  #gone: AbortController | undefined;
  readonly #onClosed: (client: MuxClient) => void;
  #holdsSlot = false;
  #admission: Promise<void> = Promise.resolve();
  #closed = false;

  /** Made by {@link MuxServer.openClient}, which supplies the mux's side. */
  constructor(
    ctx: MuxClientContext,
    port: ClientPort,
    transport: ClientTransport,
    onClosed: (client: MuxClient) => void,
  ) {
    this.#ctx = ctx;
    this.#onClosed = onClosed;
    this.#port = port;
    this.#session = ctx.router.connect(port, transport);
    this.#admit();
  }

  /** The client's number in the mux (`client 3` in the logs). */
  get id(): number {
    return this.#session.id;
  }

  /** A label for logs: `client 3 (claude-code 1.2.0)`. */
  get label(): string {
    return this.#session.label;
  }

  /** The protocol version it was given (`undefined` before `initialize`). */
  get protocolVersion(): string | undefined {
    return this.#session.protocolVersion;
  }

  /** How it is connected (`proxy` once `rmcp-mux proxy` said so in its first line). */
  get transport(): ClientTransport {
    return this.#session.transport;
  }

  /** Its hello said it drops empty lines (an `rmcp-mux proxy` of this version or later). */
  get dropsEmptyLines(): boolean {
    return this.#session.dropsEmptyLines;
  }

  /** True once it has a slot (`--max-active-clients`). */
  get admitted(): boolean {
    return this.#session.admitted;
  }

  /** Its requests not answered yet (held ones included, before they reach a router). */
  get openRequests(): number {
    return this.#session.openRequests + (this.#ctx.router.heldFor?.(this.#session) ?? 0);
  }

  /** Resolves once none of its requests is open (answered, cancelled or failed). */
  async settled(): Promise<void> {
    // Checked again on each wake: the count may touch zero and rise again before this
    // resumes (an `initialize` answered at once while the lines behind it are replayed).
    while (this.openRequests > 0) {
      await new Promise<void>((resolve) => this.#session.onSettled = resolve);
    }
  }

  /** Tell its transport to end it (the mux stops): `port.close(reason)`. */
  shutdown(reason: string): void {
    this.#port.close(reason);
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Aborted when the client is closed. */
  get signal(): AbortSignal {
    this.#gone ??= new AbortController();
    if (this.#closed) this.#gone.abort();
    return this.#gone.signal;
  }

  /** One framing event (a line, or a framing problem) from the client. */
  receive(event: LineEvent): void {
    this.#ctx.router.receive(this.#session, event);
  }

  /** True when more input may be taken now (room toward the server, and a slot or buffer room). */
  get canRead(): boolean {
    const { router } = this.#ctx;
    return router.hasRoomFor(this.#session) && router.canRead(this.#session);
  }

  /**
   * Resolves when more input may be taken: the queue toward the server has
   * room, and the client has a slot (or may still buffer while it waits for
   * one). Resolves early once the client is closed.
   */
  async ready(): Promise<void> {
    if (this.#closed || this.canRead) return;
    const { router } = this.#ctx;
    const gone = new Promise<void>((resolve) =>
      this.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    if (!router.hasRoomFor(this.#session)) {
      await Promise.race([router.waitForRoom(this.#session), gone]);
    }
    if (!router.canRead(this.#session)) await Promise.race([this.#admission, gone]);
  }

  /** The client is gone: forget it in the router (its requests are cancelled), free its slot. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gone?.abort();
    this.#ctx.router.disconnect(this.#session);
    if (this.#holdsSlot) this.#ctx.semaphore.release();
    this.#holdsSlot = false;
    this.#onClosed(this);
  }

  #admit(): void {
    const { router, semaphore, service } = this.#ctx;
    const session = this.#session;
    if (semaphore.tryAcquire()) {
      this.#holdsSlot = true;
      router.admit(session);
      return;
    }
    this.#ctx.log.info("{client} waits for a free slot ({limit} clients already served)", {
      client: session.label,
      limit: semaphore.permits,
    });
    this.#admission = semaphore.acquire(this.#ctx.clientWaitMs, this.signal).then(
      (granted) => {
        if (granted && this.#closed) {
          semaphore.release();
        } else if (granted) {
          this.#holdsSlot = true;
          router.admit(session);
        } else if (!this.#closed) {
          const seconds = this.#ctx.clientWaitMs / 1000;
          this.#ctx.log.warn("{client} got no slot within {seconds} s; refused", {
            client: session.label,
            seconds,
          });
          router.reject(
            session,
            `Too many clients: service "${service}" already serves ${semaphore.permits} ` +
              `clients (--max-active-clients ${semaphore.permits}) and no slot freed up within ` +
              `${seconds} s. Raise --max-active-clients or close idle clients`,
          );
        }
      },
    );
  }
}
