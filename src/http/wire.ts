/**
 * The HTTP-level pieces both transports of the MCP endpoint share: error
 * replies with a JSON-RPC body, media types, and reading a body bounded by
 * the mux's message limit. Web-standard `Request` and `Response` only.
 *
 * @module
 */

import { errorResponse, type JsonRpcId } from "../jsonrpc/message.ts";

/** A response carrying a JSON-RPC error (`id` null unless known). */
export function errorReply(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: JsonRpcId | null = null,
): Response {
  return new Response(JSON.stringify(errorResponse(id, code, message)), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** True when an `Accept` header allows every one of `types` (no header allows anything). */
export function accepts(header: string | null, types: readonly string[]): boolean {
  if (header === null || header.trim() === "") return true;
  const ranges = header.split(",").map((part) => {
    const [range = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return { range, refused: q !== undefined && Number(q.slice(2)) === 0 };
  }).filter((r) => !r.refused);
  return types.every((type) => {
    const [major] = type.split("/");
    return ranges.some(({ range }) => range === type || range === "*/*" || range === `${major}/*`);
  });
}

export function mediaType(header: string | null): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The body, or `too_large` past `max` bytes (read no further than that). */
export async function readBody(request: Request, max: number): Promise<Uint8Array | "too_large"> {
  const length = Number(request.headers.get("content-length") ?? NaN);
  if (length > max) {
    await request.body?.cancel().catch(() => {});
    return "too_large";
  }
  // A declared length within the limit: one native read (the body cannot be longer than
  // declared). `request.body` is not touched on this path: that getter builds a
  // ReadableStream, which costs Deno.serve more than the rest of reading the body.
  if (length >= 0) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
