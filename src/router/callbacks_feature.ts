/**
 * Requests the server sends to "its client": `sampling/createMessage` and
 * `elicitation/create` are routed to one client by the policy in
 * `policy.ts`, with ids rewritten per client; answers, cancellations and
 * progress are mapped back. When no client qualifies, or the request may come
 * from a call that was cancelled (`cancelled_calls.ts`), the mux answers
 * itself (elicitation: `cancel`; sampling: an error): never another client's
 * screen, never a hang.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import {
  errorResponse,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from "../jsonrpc/message.ts";
import type { RouterContext } from "./context.ts";
import { type Candidate, chooseClient, relatedTaskOf, requirementOf } from "./policy.ts";
import type { MrtrBridgeFeature } from "./mrtr_bridge_feature.ts";
import type { ClientSession } from "./session.ts";
import type { TasksFeature } from "./tasks_feature.ts";

/** Routes server→client requests to clients and their answers back. */
export class CallbacksFeature {
  readonly #ctx: RouterContext;
  readonly #tasks: TasksFeature;
  readonly #bridge: MrtrBridgeFeature;

  constructor(ctx: RouterContext, tasks: TasksFeature, bridge: MrtrBridgeFeature) {
    this.#ctx = ctx;
    this.#tasks = tasks;
    this.#bridge = bridge;
  }

  /** A sampling or elicitation request from the server. Returns false for other methods. */
  route(request: JsonRpcRequest): boolean {
    const requirement = requirementOf(request.method, request.params);
    if (!requirement) return false;
    const taskId = relatedTaskOf(request.params);
    const owner = taskId === undefined ? undefined : this.#tasks.taskOwner(taskId) ?? null;
    // Only requests the server has seen can have caused this one (not those held back).
    const sent = new Map<ClientSession, number>();
    for (const entry of this.#ctx.pending.values()) {
      if (entry.sent) sent.set(entry.client, (sent.get(entry.client) ?? 0) + 1);
    }
    const candidates: Candidate<ClientSession>[] = [];
    for (const session of this.#ctx.sessions) {
      if (session.closed) continue;
      if (session.era === "modern") {
        // Only through a call in flight, whose own capabilities count.
        const inFlight = sent.get(session) ?? 0;
        if (inFlight === 0) continue;
        const call = this.#bridge.askable(session, requirement);
        candidates.push({
          client: session,
          capabilities: call?.era?.envelope?.clientCapabilities ?? {},
          protocolVersion: call ? session.protocolVersion ?? "" : "",
          inFlight,
          lastRequest: session.lastRequest,
        });
        continue;
      }
      if (!session.hello) continue;
      candidates.push({
        client: session,
        capabilities: session.hello.capabilities,
        protocolVersion: session.protocolVersion ?? "",
        inFlight: sent.get(session) ?? 0,
        lastRequest: session.lastRequest,
      });
    }
    // A cancelled call the server still runs may be the one asking (nothing on stdio says).
    const choice = chooseClient(candidates, requirement, owner, this.#ctx.cancelled.owners());
    this.#ctx.log.debug("Server request {method} ({id}) → {client}: {reason}", {
      method: request.method,
      id: request.id,
      client: choice.client?.label ?? "answered by the mux",
      reason: choice.reason,
    });
    if (!choice.client) {
      this.#ctx.upstream.answerServer(this.#fallback(request, choice.reason));
      return true;
    }
    const session = choice.client;
    if (session.era === "modern") {
      if (this.#bridge.ask(session, request, requirement)) return true;
      this.#ctx.upstream.answerServer(this.#fallback(request, `${session.label} cannot be asked`));
      return true;
    }
    const meta = request.params?._meta as Record<string, unknown> | undefined;
    const id = this.#ctx.calls.add(session, {
      kind: "routed",
      method: request.method,
      upstreamId: request.id,
      progressToken: meta?.progressToken as JsonRpcId | undefined,
    });
    const elicitationId = request.params?.elicitationId;
    if (request.params?.mode === "url" && typeof elicitationId === "string") {
      this.#tasks.ownElicitation(elicitationId, session);
    }
    this.#ctx.notify(session, { ...request, id });
    return true;
  }

  /** A client answered a request of the mux (routed or the mux's own). */
  onClientResponse(session: ClientSession, response: JsonRpcResponse): void {
    const call = this.#ctx.calls.take(session, response.id);
    if (!call) {
      this.#ctx.log.debug("{client} answered id {id}, which nobody asked it; ignored", {
        client: session.label,
        id: response.id,
      });
      return;
    }
    if (call.kind === "internal") return call.resolve(response);
    this.#ctx.upstream.answerServer({ ...response, id: call.upstreamId });
  }

  /** The server cancelled one of its requests: tell the one client that has it. */
  onServerCancel(note: JsonRpcNotification): void {
    const requestId = note.params?.requestId as JsonRpcId | undefined;
    if (requestId !== undefined && this.#ctx.modernClients() > 0) {
      this.#bridge.onServerCancel(requestId);
    }
    const found = requestId === undefined ? undefined : this.#ctx.calls.findRouted(requestId);
    if (!found) return;
    this.#ctx.calls.take(found.client, found.id);
    this.#ctx.notify(found.client, {
      ...note,
      params: { ...note.params, requestId: found.id },
    });
  }

  /** Progress a client reports on a server request it handles: passed to the server. */
  onClientProgress(session: ClientSession, note: JsonRpcNotification, line: string): void {
    if (this.#ctx.calls.routedByToken(session, note.params?.progressToken)) {
      this.#ctx.upstream.answerServer(JSON.parse(line));
    }
  }

  /** A client left: the server's requests to it are answered now, not left to hang. */
  release(session: ClientSession): void {
    for (const call of this.#ctx.calls.removeClient(session)) {
      if (call.kind === "internal") {
        call.resolve(errorResponse(null, ErrorCode.InternalError, "the client disconnected"));
        continue;
      }
      this.#ctx.upstream.answerServer(
        this.#fallback(
          { jsonrpc: "2.0", id: call.upstreamId, method: call.method },
          `${session.label} disconnected before answering`,
        ),
      );
    }
  }

  /** The server process is gone: its requests to clients are void. */
  forget(reason: string): void {
    for (const { client, id } of this.#ctx.calls.removeRouted()) {
      this.#ctx.notify(client, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: id, reason: `the server exited (${reason})` },
      });
    }
  }

  #fallback(request: JsonRpcRequest, reason: string): JsonRpcResponse {
    if (request.method === "elicitation/create") {
      // Nobody was shown anything: the honest answer is "dismissed".
      return resultResponse(request.id, { action: "cancel" });
    }
    return errorResponse(
      request.id,
      ErrorCode.InternalError,
      `rmcp-mux could not route ${request.method}: ${reason}`,
      { reason },
    );
  }
}
