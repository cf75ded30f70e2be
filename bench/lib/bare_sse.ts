/**
 * The baseline for one held SSE stream: a bare `Deno.serve` that answers
 * every GET with an event stream (one priming event) and keeps it open. Its
 * own process, so its RSS can be read. Usage: bare_sse.ts PORT
 *
 * @module
 */

const port = Number(Deno.args[0]);
const encoder = new TextEncoder();
let next = 0;
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`id: ${next++}\ndata:\n\n`));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
});
