/**
 * Client→server requests (the id map): every client request forwarded
 * upstream gets a fresh numeric id
 * from one counter, so requests from different clients never collide. The
 * entry remembers whose request it was and its original id (kept as the exact
 * JSON value: a number stays a number, a string stays a string).
 *
 * @module
 */

import type { JsonRpcId } from "../jsonrpc/message.ts";
import type { RequestEnvelope } from "./envelope.ts";

/** Where the answer to a request goes when it arrives. */
export interface ReplyTarget<C> {
  readonly client: C;
  /** Set when the request was one element of a JSON-RPC batch. */
  readonly batch?: {
    readonly fill: (index: number, message: unknown) => void;
    readonly drop: (index: number) => void;
    index: number;
  };
}

/**
 * What the era features keep about a request whose client or server is of
 * the modern era (never set between a legacy client and a legacy server).
 */
export interface EraRequestState {
  /** Its envelope: the modern client's own, or the one the mux added for a legacy client. */
  envelope?: RequestEnvelope;
  /** A legacy client's own params, to retry the call after `input_required`. */
  params?: Record<string, unknown>;
  /** A modern client's call: its tool or prompt name, or resource URI (a retry must match). */
  subject?: unknown;
  /** `input_required` rounds so far (legacy shim). */
  round?: number;
  /** Set while its client's call was answered with `input_required` (a legacy server's callback). */
  parked?: object;
}

/** One request in flight upstream (or held until the upstream is ready). */
export interface PendingEntry<C> extends ReplyTarget<C> {
  readonly upstreamId: number;
  /** The client's id for it (a modern client's retry takes over a running call: see `retarget`). */
  clientId: JsonRpcId;
  readonly method: string;
  /** The client's own progress token, when it asked for progress. */
  progressToken: JsonRpcId | undefined;
  /** When the mux gives up (ms since epoch); `Infinity` for never. */
  deadline: number;
  /** When the client's request arrived (ms since epoch). */
  readonly startedAt: number;
  /** True once written to the current upstream process. */
  sent: boolean;
  /** Era bookkeeping (see {@link EraRequestState}). */
  era?: EraRequestState;
}

/** Client→server requests in flight, by upstream id, with a per-client index for cancellation. */
export class ClientToServerTable<C> {
  #next = 1;
  readonly #byUpstream = new Map<number, PendingEntry<C>>();
  readonly #byClient = new Map<C, Map<JsonRpcId, number>>();
  readonly #onClientIdle: ((client: C) => void) | undefined;

  /** @param options.onClientIdle called when a client's last request leaves the table */
  constructor(options: { onClientIdle?: (client: C) => void } = {}) {
    this.#onClientIdle = options.onClientIdle;
  }

  /** Number of requests in flight. */
  get size(): number {
    return this.#byUpstream.size;
  }

  /** Register a request and allocate its upstream id. */
  add(
    target: ReplyTarget<C>,
    clientId: JsonRpcId,
    method: string,
    deadline: number,
    progressToken: JsonRpcId | undefined,
    startedAt: number,
  ): PendingEntry<C> {
    const upstreamId = this.#next++;
    // One literal, one shape for every entry (a conditional spread builds each one slowly).
    const entry: PendingEntry<C> = {
      upstreamId,
      client: target.client,
      clientId,
      method,
      progressToken,
      deadline,
      startedAt,
      sent: false,
      batch: target.batch,
    };
    this.#byUpstream.set(upstreamId, entry);
    let ids = this.#byClient.get(target.client);
    if (!ids) this.#byClient.set(target.client, ids = new Map());
    ids.set(clientId, upstreamId);
    return entry;
  }

  /** Look up without removing. */
  get(upstreamId: number): PendingEntry<C> | undefined {
    return this.#byUpstream.get(upstreamId);
  }

  /** Remove and return the entry for an upstream id (the response arrived). */
  take(upstreamId: number): PendingEntry<C> | undefined {
    const entry = this.#byUpstream.get(upstreamId);
    if (entry) this.#remove(entry);
    return entry;
  }

  /** The entry for a client's own request id, if still in flight. */
  findByClientId(client: C, clientId: JsonRpcId): PendingEntry<C> | undefined {
    const upstreamId = this.#byClient.get(client)?.get(clientId);
    return upstreamId === undefined ? undefined : this.#byUpstream.get(upstreamId);
  }

  /** The entry now answers the client's request `clientId` (with its progress token). */
  retarget(
    entry: PendingEntry<C>,
    clientId: JsonRpcId,
    progressToken: JsonRpcId | undefined,
  ): void {
    const ids = this.#byClient.get(entry.client);
    if (ids?.get(entry.clientId) === entry.upstreamId) ids.delete(entry.clientId);
    entry.clientId = clientId;
    entry.progressToken = progressToken;
    if (!this.#byUpstream.has(entry.upstreamId)) return;
    let map = ids;
    if (!map) this.#byClient.set(entry.client, map = new Map());
    map.set(clientId, entry.upstreamId);
  }

  /** True when the client already has a request in flight with this id. */
  hasClientId(client: C, clientId: JsonRpcId): boolean {
    return this.#byClient.get(client)?.has(clientId) ?? false;
  }

  /** The one client with requests in flight, when exactly one has (else `undefined`). */
  soleClient(): C | undefined {
    if (this.#byClient.size !== 1) return undefined;
    for (const client of this.#byClient.keys()) return client;
    return undefined;
  }

  /** Number of requests one client has in flight. */
  countFor(client: C): number {
    return this.#byClient.get(client)?.size ?? 0;
  }

  /** Every entry of one client (left in the table). */
  ofClient(client: C): PendingEntry<C>[] {
    const entries: PendingEntry<C>[] = [];
    for (const upstreamId of this.#byClient.get(client)?.values() ?? []) {
      const entry = this.#byUpstream.get(upstreamId);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** Remove and return every entry of one client. */
  removeClient(client: C): PendingEntry<C>[] {
    const ids = this.#byClient.get(client);
    if (!ids) return [];
    const entries: PendingEntry<C>[] = [];
    for (const upstreamId of ids.values()) {
      const entry = this.#byUpstream.get(upstreamId);
      if (entry) entries.push(entry);
      this.#byUpstream.delete(upstreamId);
    }
    this.#byClient.delete(client);
    this.#onClientIdle?.(client);
    return entries;
  }

  /** Remove and return every entry matching a predicate. */
  removeWhere(predicate: (entry: PendingEntry<C>) => boolean): PendingEntry<C>[] {
    const removed: PendingEntry<C>[] = [];
    for (const entry of this.#byUpstream.values()) {
      if (predicate(entry)) removed.push(entry);
    }
    for (const entry of removed) this.#remove(entry);
    return removed;
  }

  /** The earliest deadline, or `Infinity` when nothing can time out. */
  nextDeadline(): number {
    let next = Infinity;
    for (const entry of this.#byUpstream.values()) {
      if (entry.deadline < next) next = entry.deadline;
    }
    return next;
  }

  /** True while some request is being handled by the server (written to it, not answered). */
  anySent(): boolean {
    for (const entry of this.#byUpstream.values()) if (entry.sent) return true;
    return false;
  }

  /** Every entry, oldest first. */
  values(): IterableIterator<PendingEntry<C>> {
    return this.#byUpstream.values();
  }

  #remove(entry: PendingEntry<C>): void {
    this.#byUpstream.delete(entry.upstreamId);
    const ids = this.#byClient.get(entry.client);
    if (!ids) return;
    ids.delete(entry.clientId);
    if (ids.size === 0) {
      this.#byClient.delete(entry.client);
      this.#onClientIdle?.(entry.client);
    }
  }
}
