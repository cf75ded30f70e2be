import { assertEquals } from "../_helpers/assert.ts";
import { connectHttpClient, startHttpMux } from "../_helpers/http.ts";
import { everythingServer, textOf } from "../_helpers/mux.ts";

Deno.test("smoke: SDK client over HTTP calls echo", async () => {
  await using m = await startHttpMux(everythingServer());
  await using c = await connectHttpClient(m);
  const result = await c.client.callTool({ name: "echo", arguments: { message: "hi" } });
  assertEquals(textOf(result), "Echo: hi");
  const tools = await c.client.listTools();
  console.log(tools.tools.length, m.mux.status().sessions);
});
