/**
 * A POST to the MCP endpoint, read and checked before either era's
 * transport acts on it: its media type, its `Accept` (both answer shapes
 * allowed), its size against the mux's message limit, UTF-8, JSON, and one
 * JSON-RPC message (or a batch). Every refusal is the HTTP status with a
 * JSON-RPC error body the client is owed.
 *
 * @module
 */

import { ErrorCode } from "../jsonrpc/codes.ts";
import { decodeUtf8 } from "../jsonrpc/framing.ts";
import { type Classified, classify } from "../jsonrpc/message.ts";
import { accepts, errorReply, mediaType, readBody } from "./wire.ts";

/** A POST's body as one JSON-RPC message (or batch), with its text and parsed value. */
export interface PostBody {
  /** The body as text. */
  text: string;
  /** The body parsed (the router takes it instead of parsing `text` again). */
  value: unknown;
  /** What the body is. */
  message: Exclude<Classified, { kind: "invalid" }>;
}

/** Reads POST bodies; remembers the last `Accept` that passed (clients send the same one every time). */
export class PostReader {
  #acceptedPost: string | null = null;

  /** The POST's body, or the response that refuses it. */
  async read(request: Request, max: number): Promise<PostBody | Response> {
    if (mediaType(request.headers.get("content-type")) !== "application/json") {
      return errorReply(
        415,
        ErrorCode.InvalidRequest,
        `Unsupported media type "${request.headers.get("content-type") ?? ""}": ` +
          "send one JSON-RPC message with Content-Type: application/json",
      );
    }
    const accept = request.headers.get("accept");
    if (accept === null || accept !== this.#acceptedPost) {
      if (!accepts(accept, ["application/json", "text/event-stream"])) {
        return errorReply(
          406,
          ErrorCode.InvalidRequest,
          "Not acceptable: the Accept header must allow both application/json and " +
            "text/event-stream (the answer comes as one or the other)",
        );
      }
      this.#acceptedPost = accept;
    }
    const body = await readBody(request, max);
    if (body === "too_large") {
      return errorReply(
        413,
        ErrorCode.MessageTooLarge,
        `Message larger than the mux's limit of ${max} bytes; it was discarded ` +
          "(raise --max-request-bytes to allow larger requests)",
      );
    }
    const text = decodeUtf8(body);
    if (text === undefined) {
      return errorReply(400, ErrorCode.ParseError, "Parse error: the body is not valid UTF-8");
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return errorReply(
        400,
        ErrorCode.ParseError,
        `Parse error: the body is not valid JSON (${(error as Error).message})`,
      );
    }
    const message = classify(value);
    if (message.kind === "invalid") {
      return errorReply(
        400,
        ErrorCode.InvalidRequest,
        `Invalid request: ${message.reason}`,
        {},
        message.id,
      );
    }
    return { text, value, message };
  }
}
