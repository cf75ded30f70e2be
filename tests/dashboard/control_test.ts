import { loopbackOrigin } from "../../src/dashboard/control.ts";
import { assertEquals, assertThrows } from "../_helpers/assert.ts";

Deno.test("the dashboard's link uses a loopback origin, or says why there is none", () => {
  assertEquals(loopbackOrigin("http://127.0.0.1:7300"), "http://127.0.0.1:7300");
  assertEquals(loopbackOrigin("http://localhost:7300"), "http://localhost:7300");
  assertEquals(loopbackOrigin("http://[::1]:7300"), "http://[::1]:7300");
  assertEquals(loopbackOrigin("http://0.0.0.0:7300"), "http://127.0.0.1:7300");
  assertEquals(loopbackOrigin("http://[::]:7300"), "http://[::1]:7300");
  assertThrows(
    () => loopbackOrigin("http://192.168.1.20:7300"),
    Error,
    "the dashboard is served on loopback only, and this daemon's HTTP listener is on 192.168.1.20",
  );
});
