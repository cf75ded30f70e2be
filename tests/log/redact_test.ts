import { assertEquals } from "../_helpers/assert.ts";
import { redact } from "../../src/log/redact.ts";

Deno.test("redact: every occurrence of every secret becomes ***; empty secrets are ignored", () => {
  assertEquals(
    redact("server --token s3cr3t --again s3cr3t --key abc", ["s3cr3t", "", "abc"]),
    "server --token *** --again *** --key ***",
  );
  assertEquals(redact("nothing to hide"), "nothing to hide");
});
