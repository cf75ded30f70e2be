/**
 * Tasks and URL elicitations (MCP 2025-11-25) belong to the client that
 * started them: the mux records the owner of every task id (from each
 * `CreateTaskResult`) and every URL-elicitation id (from `elicitation/create`
 * in URL mode and from `-32042` errors), refuses `tasks/*` on another
 * client's task, filters `tasks/list`, and sends status and completion
 * notifications to the owner only. Progress of a task-augmented request
 * stays routable until the task ends.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import type {
  JsonRpcId,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from "../jsonrpc/message.ts";
import { notificationAllowed } from "./capabilities.ts";
import type { RouterContext } from "./context.ts";
import { OwnerTable } from "./ownership.ts";
import type { PendingEntry } from "./client_to_server.ts";
import type { ClientSession } from "./session.ts";

/** Task statuses after which nothing changes. */
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** The URL-elicitation-required error code (2025-11-25). */
export const URL_ELICITATION_REQUIRED = -32042;

const TASK_METHODS = new Set(["tasks/get", "tasks/result", "tasks/cancel"]);

interface TaskProgress {
  client: ClientSession;
  token: JsonRpcId;
  taskId: string;
}

/** Ownership of tasks and URL elicitations. */
export class TasksFeature {
  readonly #ctx: RouterContext;
  readonly #tasks = new OwnerTable<ClientSession>();
  readonly #elicitations = new OwnerTable<ClientSession>();
  /** Progress tokens (upstream side) that outlive their request: they belong to a task. */
  readonly #progress = new Map<number, TaskProgress>();

  constructor(ctx: RouterContext) {
    this.#ctx = ctx;
  }

  /** The client that owns a task. */
  taskOwner(taskId: string): ClientSession | undefined {
    return this.#tasks.owner(taskId);
  }

  /** Record that a URL elicitation was sent to `session`. */
  ownElicitation(elicitationId: string, session: ClientSession): void {
    this.#elicitations.set(elicitationId, session);
  }

  /** Refuse `tasks/get|result|cancel` on a task the caller does not own (as if unknown). */
  refusal(session: ClientSession, request: JsonRpcRequest): [number, string] | undefined {
    if (!TASK_METHODS.has(request.method)) return undefined;
    const taskId = request.params?.taskId;
    if (typeof taskId === "string" && this.#tasks.owner(taskId) === session) return undefined;
    return [ErrorCode.InvalidParams, `Invalid params: unknown task ${JSON.stringify(taskId)}`];
  }

  /** Look at an answer on its way to `entry.client`: record owners, filter lists. */
  onResponse(entry: PendingEntry<ClientSession>, response: JsonRpcResponse): void {
    const session = entry.client;
    if ("error" in response) {
      const data = response.error.data as { elicitations?: { elicitationId?: unknown }[] };
      if (response.error.code === URL_ELICITATION_REQUIRED && Array.isArray(data?.elicitations)) {
        for (const e of data.elicitations) {
          if (typeof e?.elicitationId === "string") this.ownElicitation(e.elicitationId, session);
        }
      }
      return;
    }
    const result = response.result;
    const task = result.task as { taskId?: unknown; status?: unknown } | undefined;
    if (typeof task?.taskId === "string" && !TASK_METHODS.has(entry.method)) {
      // A CreateTaskResult: the task is the caller's, and so is its progress.
      this.#tasks.set(task.taskId, session);
      if (entry.progressToken !== undefined && !TERMINAL.has(String(task.status))) {
        this.#progress.set(entry.upstreamId, {
          client: session,
          token: entry.progressToken,
          taskId: task.taskId,
        });
      }
      return;
    }
    if (entry.method === "tasks/list" && Array.isArray(result.tasks)) {
      result.tasks = result.tasks.filter((t) =>
        this.#tasks.owner((t as { taskId?: string })?.taskId ?? "") === session
      );
    }
    if (
      (entry.method === "tasks/get" || entry.method === "tasks/cancel") &&
      typeof result.taskId === "string" && TERMINAL.has(String(result.status))
    ) {
      this.#endProgress(result.taskId);
    }
    // `tasks/result` answers only once the task is over.
    const related = (result._meta as Record<string, { taskId?: unknown }> | undefined)
      ?.["io.modelcontextprotocol/related-task"];
    if (entry.method === "tasks/result" && typeof related?.taskId === "string") {
      this.#endProgress(related.taskId);
    }
  }

  /** Progress routing for tokens that belong to a running task. */
  progressFor(token: number): TaskProgress | undefined {
    return this.#progress.get(token);
  }

  /** `notifications/tasks/status`: to the owner only. */
  onStatus(note: JsonRpcNotification, line: string): void {
    const taskId = note.params?.taskId;
    if (typeof taskId !== "string") return;
    if (TERMINAL.has(String(note.params?.status))) this.#endProgress(taskId);
    const owner = this.#tasks.owner(taskId);
    if (owner && notificationAllowed(owner.protocolVersion ?? "", note.method)) {
      this.#ctx.notify(owner, line);
    }
  }

  /** `notifications/elicitation/complete`: to the client that got the elicitation only. */
  onElicitationComplete(note: JsonRpcNotification, line: string): void {
    const id = note.params?.elicitationId;
    if (typeof id !== "string") return;
    const owner = this.#elicitations.owner(id);
    this.#elicitations.delete(id);
    if (owner && notificationAllowed(owner.protocolVersion ?? "", note.method)) {
      this.#ctx.notify(owner, line);
    }
  }

  /** A client left: its tasks and elicitations are nobody's now. */
  release(session: ClientSession): void {
    this.#tasks.release(session);
    this.#elicitations.release(session);
    for (const [token, progress] of this.#progress) {
      if (progress.client === session) this.#progress.delete(token);
    }
  }

  /** The server process is gone, and with it every task and elicitation it knew. */
  forget(): void {
    this.#tasks.clear();
    this.#elicitations.clear();
    this.#progress.clear();
  }

  #endProgress(taskId: string): void {
    for (const [token, progress] of this.#progress) {
      if (progress.taskId === taskId) this.#progress.delete(token);
    }
  }
}
