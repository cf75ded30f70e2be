/**
 * The bridge (modern clients, a legacy server): a legacy server's sampling
 * or elicitation request, attributed to a modern client's call in flight
 * (`tools/call`, `prompts/get`, `resources/read` whose own capabilities
 * cover it), answers that call with `input_required` while the server's
 * call is held open. The client's retry, which echoes the handle, answers
 * the server's question and takes over the held call: its result (or the
 * next question) goes to the retry. Unanswered handles expire
 * ({@link MRTR_HANDLE_TTL_MS}): the server's questions are then answered
 * "cancel" and its call cancelled. The rules are in `mrtr_bridge.ts`.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  type JsonRpcId,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { RouterContext, Target } from "./context.ts";
import { MRTR_METHODS } from "./eras.ts";
import {
  answerFor,
  asInputRequest,
  HandleTable,
  inputRequiredResult,
  MRTR_HANDLE_TTL_MS,
  type Question,
  urlElicitations,
} from "./mrtr_bridge.ts";
import type { Requirement } from "./policy.ts";
import type { ClientSession } from "./session.ts";

export { MRTR_HANDLE_TTL_MS } from "./mrtr_bridge.ts";

type Entry = PendingEntry<ClientSession>;

/** A modern client's call answered with `input_required`, and what its retry will find. */
interface Hold {
  readonly handle: string;
  readonly session: ClientSession;
  readonly method: string;
  /** The tool or prompt name, or the resource URI: a retry must be of the same call. */
  readonly subject: unknown;
  /** The server's call held open; absent when the call is to be sent again (-32042). */
  readonly entry: Entry | undefined;
  /** The server's questions of this round: key → its request id and method. */
  readonly questions: Map<string, { upstreamId: JsonRpcId; method: string }>;
  /** Questions the server asked after this round went out (the next round). */
  readonly queued: JsonRpcRequest[];
  /** The server's answer, when its call ended before the client retried. */
  outcome: JsonRpcResponse | undefined;
  readonly expiresAt: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What a call is about: a tool or prompt name, a resource URI. */
export function subjectOf(params: Record<string, unknown> | undefined): unknown {
  return params?.name ?? params?.uri;
}

/** Legacy servers' questions asked of modern clients through `input_required`. */
export class MrtrBridgeFeature {
  readonly #ctx: RouterContext;
  readonly #newId: () => string;
  readonly #handles = new HandleTable<Hold>();

  constructor(ctx: RouterContext, newId: () => string) {
    this.#ctx = ctx;
    this.#newId = newId;
  }

  /** Handles waiting for a retry (for status and tests). */
  get waiting(): number {
    return this.#handles.size;
  }

  /** Is this one of the mux's handles (still valid or not yet swept)? */
  has(handle: string): boolean {
    return this.#handles.peek(handle) !== undefined;
  }

  /**
   * Ask `session` the server's `request` through one of its calls in
   * flight. False when it has none that may be asked (the caller answers
   * the server itself).
   */
  ask(session: ClientSession, request: JsonRpcRequest, requirement: Requirement): boolean {
    const entry = this.askable(session, requirement);
    if (!entry) return false;
    const held = entry.era?.parked as Hold | undefined;
    if (held) held.queued.push(request); // its client has a question out: this is the next one
    else this.#park(entry, [request]);
    return true;
  }

  /**
   * The call of `session` a question would be asked through: its most
   * recent call in flight that may carry `input_required` and whose own
   * capabilities cover the question.
   */
  askable(session: ClientSession, requirement: Requirement): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.#ctx.pending.values()) {
      if (entry.client !== session || !entry.sent || !MRTR_METHODS.has(entry.method)) continue;
      const caps = entry.era?.envelope?.clientCapabilities ?? {};
      if (!requirement.covers(caps, entry.era?.envelope?.protocolVersion ?? "")) continue;
      if (!best || entry.upstreamId > best.upstreamId) best = entry;
    }
    return best;
  }

  /**
   * A retry carrying one of the mux's handles: the server's questions are
   * answered and the retry takes over the held call. Returns the request to
   * send as a new call (a -32042 handle), or `undefined` when handled here.
   */
  retry(
    session: ClientSession,
    request: JsonRpcRequest,
    target: Target,
  ): JsonRpcRequest | undefined {
    const ctx = this.#ctx;
    const handle = request.params!.requestState as string;
    const hold = this.#handles.peek(handle);
    if (!hold || hold.session !== session || hold.expiresAt <= ctx.now()) {
      ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          "Invalid params: requestState is unknown or expired (rmcp-mux hands out single-use " +
            `handles, valid ${MRTR_HANDLE_TTL_MS / 1000} s); call again without it`,
        ),
      );
      return undefined;
    }
    if (request.method !== hold.method || subjectOf(request.params) !== hold.subject) {
      ctx.reply(
        target,
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          `Invalid params: this requestState belongs to another call (${hold.method} ` +
            `${JSON.stringify(hold.subject)})`,
        ),
      );
      return undefined;
    }
    this.#handles.delete(handle);
    if (!hold.entry) {
      // The server wanted URL elicitations first (-32042): the call goes again, as it came.
      const params = { ...request.params };
      delete params.inputResponses;
      delete params.requestState;
      return { ...request, params };
    }
    const answers = isObject(request.params!.inputResponses) ? request.params!.inputResponses : {};
    for (const [key, question] of hold.questions) {
      ctx.upstream.answerServer(answerFor(question.upstreamId, question.method, answers[key]));
    }
    const entry = hold.entry;
    entry.era = { ...entry.era, parked: undefined };
    if (hold.outcome) {
      ctx.reply(target, { ...hold.outcome, id: request.id });
      return undefined;
    }
    const meta = request.params?._meta as Record<string, unknown> | undefined;
    ctx.pending.retarget(entry, request.id, meta?.progressToken as JsonRpcId | undefined);
    entry.deadline = ctx.deadline();
    ctx.armSweep(entry.deadline);
    if (hold.queued.length > 0) this.#park(entry, hold.queued);
    return undefined;
  }

  /**
   * A legacy server's -32042 (URL elicitation required) for a modern
   * client: its URLs become input requests; the retry sends the call again.
   * False when the error does not name any.
   */
  urlRequired(entry: Entry, data: unknown): boolean {
    const questions = urlElicitations(data);
    if (!questions) return false;
    const hold = this.#hold(entry.client, entry.method, entry.era?.subject, undefined);
    const asked = new Map<string, Question>(questions.map((q, i) => [`url${i + 1}`, q]));
    this.#ctx.reply(
      entry,
      resultResponse(
        entry.clientId,
        inputRequiredResult(asked, hold.handle, this.#ctx.upstream.handshake.serverInfo),
      ),
    );
    return true;
  }

  /** The held call ended (answered, failed or timed out) before its client retried. */
  onParkedOutcome(entry: Entry, message: JsonRpcResponse): void {
    const hold = entry.era?.parked as Hold | undefined;
    if (!hold) return;
    hold.outcome = message;
    // The server is done with this call: its questions no longer wait for answers.
    hold.questions.clear();
    hold.queued.length = 0;
  }

  /** The server withdrew one of its questions. */
  onServerCancel(requestId: JsonRpcId): void {
    for (const hold of this.#handles.values()) {
      for (const [key, question] of hold.questions) {
        if (question.upstreamId === requestId) hold.questions.delete(key);
      }
      const i = hold.queued.findIndex((q) => q.id === requestId);
      if (i !== -1) hold.queued.splice(i, 1);
    }
  }

  /** The client cancelled a call it had been answered `input_required` for. */
  abandon(entry: Entry): void {
    const hold = entry.era?.parked as Hold | undefined;
    if (!hold) return;
    this.#handles.delete(hold.handle);
    entry.era = { ...entry.era, parked: undefined };
    this.#decline(hold, "the client cancelled the call");
  }

  /** A client left: the server's questions for it are answered now (its calls are cancelled with it). */
  release(session: ClientSession): void {
    for (const hold of this.#handles.removeWhere((h) => h.session === session)) {
      this.#decline(hold, `${session.label} disconnected`);
    }
  }

  /** Expire handles past their deadline; returns the next deadline. */
  sweep(now: number): number {
    for (const hold of this.#handles.expire(now)) {
      this.#ctx.log.info(
        "{client} did not retry its {method} within {seconds} s; cancelled the server's call",
        { client: hold.session.label, method: hold.method, seconds: MRTR_HANDLE_TTL_MS / 1000 },
      );
      this.#decline(hold, "the client did not retry in time");
      const entry = hold.entry;
      if (entry && this.#ctx.pending.get(entry.upstreamId) === entry) {
        // The server hears of it before the entry goes (that may pass a serialize turn).
        this.#ctx.cancelUpstream(entry, "the client did not retry");
        this.#ctx.pending.take(entry.upstreamId);
      }
    }
    return this.#handles.nextDeadline();
  }

  #park(entry: Entry, requests: JsonRpcRequest[]): void {
    const hold = this.#hold(entry.client, entry.method, entry.era?.subject, entry);
    const asked = new Map<string, Question>();
    let n = 0;
    for (const request of requests) {
      const key = `q${++n}`;
      hold.questions.set(key, { upstreamId: request.id, method: request.method });
      asked.set(key, asInputRequest(request.method, request.params));
    }
    entry.era = { ...entry.era, parked: hold };
    // The client now takes its time: the handle's deadline governs the held call.
    entry.deadline = hold.expiresAt;
    this.#ctx.reply(
      entry.client.target,
      resultResponse(
        entry.clientId,
        inputRequiredResult(asked, hold.handle, this.#ctx.upstream.handshake.serverInfo),
      ),
    );
  }

  #hold(
    session: ClientSession,
    method: string,
    subject: unknown,
    entry: Entry | undefined,
  ): Hold {
    const hold: Hold = {
      handle: this.#newId(),
      session,
      method,
      subject,
      entry,
      questions: new Map(),
      queued: [],
      outcome: undefined,
      expiresAt: this.#ctx.now() + MRTR_HANDLE_TTL_MS,
    };
    this.#handles.set(hold.handle, hold);
    this.#ctx.armSweep(hold.expiresAt);
    return hold;
  }

  /** Answer the server's open questions as nobody's: elicitation `cancel`, others an error. */
  #decline(hold: Hold, why: string): void {
    for (
      const q of [
        ...hold.questions.values(),
        ...hold.queued.map((r) => ({ upstreamId: r.id, method: r.method })),
      ]
    ) {
      this.#ctx.log.debug("Answered the server's {method} for nobody: {why}", {
        method: q.method,
        why,
      });
      this.#ctx.upstream.answerServer(answerFor(q.upstreamId, q.method, undefined));
    }
    hold.questions.clear();
    hold.queued.length = 0;
  }
}
