/**
 * The legacy shim (a legacy client, a modern server): when the server
 * answers a call with `input_required`, each input request becomes a real
 * request to the client whose call it is (never another), and the call is
 * retried upstream under a new id with the answers and the server's
 * `requestState`. Rounds are capped, each question has its own timeout, and
 * the client's cancel or departure ends it all. The rules are in
 * `mrtr_shim.ts`.
 *
 * @module
 */

import {
  errorResponse,
  isErrorResponse,
  type JsonRpcId,
  type JsonRpcResponse,
} from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { RouterContext } from "./context.ts";
import { legacyClientEnvelope, withEnvelope } from "./envelope.ts";
import type { LoggingFeature } from "./logging_feature.ts";
import {
  type Leg,
  MRTR_LEG_TIMEOUT_MS,
  MRTR_STATE_ONLY_PAUSE_MS,
  planRound,
  retryParams,
  shimFailure,
} from "./mrtr_shim.ts";
import type { ClientSession } from "./session.ts";

type Entry = PendingEntry<ClientSession>;

/** One call between two upstream rounds: its questions out to the client, or a pause. */
interface Between {
  entry: Entry;
  /** Questions not answered yet: key → id of the request to the client. */
  open: Map<string, JsonRpcId>;
  answers: Record<string, unknown>;
  requestState: string | undefined;
  timer: unknown;
  done: boolean;
}

/** Runs `input_required` rounds for legacy clients. */
export class LegacyShimFeature {
  readonly #ctx: RouterContext;
  readonly #logging: LoggingFeature;
  readonly #newId: () => string;
  /** Calls between rounds, per client and client id. */
  readonly #between = new Map<ClientSession, Map<JsonRpcId, Between>>();

  constructor(ctx: RouterContext, logging: LoggingFeature, newId: () => string) {
    this.#ctx = ctx;
    this.#logging = logging;
    this.#newId = newId;
  }

  /** Calls waiting for their client's answers (for status and tests). */
  get waiting(): number {
    let n = 0;
    for (const calls of this.#between.values()) n += calls.size;
    return n;
  }

  /** Remember what a retry needs: the legacy client's own params. */
  remember(entry: Entry, params: Record<string, unknown> | undefined): void {
    entry.era = { ...entry.era, params: params ?? {} };
  }

  /** The server answered `entry` (already out of the table) with `input_required`. */
  onInputRequired(entry: Entry, result: Record<string, unknown>): void {
    const round = (entry.era?.round ?? 0) + 1;
    const plan = planRound(result, round, this.#newId);
    const session = entry.client;
    if (plan.kind === "fail") {
      this.#ctx.log.warn("{client}'s {method}: {reason}", {
        client: session.label,
        method: entry.method,
        reason: plan.reason,
      });
      return this.#ctx.reply(entry, shimFailure(entry.method, entry.clientId, plan.reason));
    }
    entry.era = { ...entry.era, round };
    const between: Between = {
      entry,
      open: new Map(),
      answers: {},
      requestState: plan.requestState,
      timer: undefined,
      done: false,
    };
    this.#track(session, between);
    if (plan.kind === "pause") {
      // Only state came back (the server sheds load): retry after a short pause.
      between.timer = this.#ctx.clock.setTimer(() => {
        between.timer = undefined;
        this.#retry(between, undefined);
      }, MRTR_STATE_ONLY_PAUSE_MS);
      return;
    }
    for (const leg of plan.legs) this.#ask(between, leg);
  }

  /** A client cancelled its call while its questions were out: withdraw them. */
  cancel(session: ClientSession, clientId: JsonRpcId): boolean {
    const between = this.#between.get(session)?.get(clientId);
    if (!between) return false;
    this.#finish(between, "the client cancelled the request");
    between.entry.batch?.drop(between.entry.batch.index);
    if (session.openRequests > 0) session.openRequests--;
    this.#ctx.settled(session);
    return true;
  }

  /** A client left: its calls between rounds end (the router answers nothing to a gone client). */
  release(session: ClientSession): void {
    const calls = this.#between.get(session);
    if (!calls) return;
    this.#between.delete(session);
    for (const between of calls.values()) {
      between.done = true;
      if (between.timer !== undefined) this.#ctx.clock.clearTimer(between.timer);
    }
  }

  /** The router stops: no timer survives it. */
  close(): void {
    for (const session of [...this.#between.keys()]) this.release(session);
  }

  #ask(between: Between, leg: Leg): void {
    const session = between.entry.client;
    const { id, answer } = this.#ctx.askClient(
      session,
      leg.method,
      leg.params,
      MRTR_LEG_TIMEOUT_MS,
    );
    between.open.set(leg.key, id);
    void answer.then((response) => this.#answered(between, leg, response));
  }

  #answered(between: Between, leg: Leg, response: JsonRpcResponse): void {
    if (between.done) return;
    between.open.delete(leg.key);
    if (isErrorResponse(response)) {
      const reason = `${between.entry.client.label} did not answer the server's ${leg.method}: ` +
        response.error.message;
      this.#finish(between, reason);
      return this.#ctx.reply(
        between.entry,
        shimFailure(between.entry.method, between.entry.clientId, reason),
      );
    }
    between.answers[leg.key] = response.result;
    if (between.open.size === 0) this.#retry(between, between.answers);
  }

  /** The call again, upstream, under a new id: its params, the answers, the state. */
  #retry(between: Between, answers: Record<string, unknown> | undefined): void {
    if (between.done) return;
    this.#untrack(between);
    between.done = true;
    const ctx = this.#ctx;
    const old = between.entry;
    const session = old.client;
    if (session.closed) return;
    const refusal = ctx.upstream.refusal(old.method);
    if (refusal) return ctx.reply(old, errorResponse(old.clientId, ...refusal));
    const entry = ctx.pending.add(
      old,
      old.clientId,
      old.method,
      ctx.deadline(),
      old.progressToken,
      old.startedAt,
    );
    const envelope = legacyClientEnvelope(
      ctx.upstream.handshake.modernVersion,
      session.hello,
      this.#logging.levelOf(session),
    );
    entry.era = { ...old.era, envelope };
    let params = withEnvelope(
      retryParams(old.era?.params, answers, between.requestState),
      envelope,
    );
    if (entry.progressToken !== undefined) {
      params = { ...params, _meta: { ...params._meta as object, progressToken: entry.upstreamId } };
    }
    const line = JSON.stringify({
      jsonrpc: "2.0",
      id: entry.upstreamId,
      method: entry.method,
      params,
    });
    ctx.upstream.traffic.send(line, entry, session);
    ctx.armSweep(entry.deadline);
  }

  /** End a call between rounds: its open questions are withdrawn from the client. */
  #finish(between: Between, reason: string): void {
    if (between.done) return;
    between.done = true;
    this.#untrack(between);
    if (between.timer !== undefined) this.#ctx.clock.clearTimer(between.timer);
    for (const id of between.open.values()) {
      this.#ctx.cancelAsk(between.entry.client, id, reason);
    }
    between.open.clear();
  }

  #track(session: ClientSession, between: Between): void {
    let calls = this.#between.get(session);
    if (!calls) this.#between.set(session, calls = new Map());
    calls.set(between.entry.clientId, between);
  }

  #untrack(between: Between): void {
    const calls = this.#between.get(between.entry.client);
    if (calls?.get(between.entry.clientId) !== between) return;
    calls.delete(between.entry.clientId);
    if (calls.size === 0) this.#between.delete(between.entry.client);
  }
}
