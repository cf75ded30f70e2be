import { assertEquals } from "../_helpers/assert.ts";
import { maskArgs, secretArgs } from "../../src/hosts/secret_args.ts";

Deno.test("secret args: values after secret-named flags, in NAME=value words, and well-known tokens", () => {
  assertEquals(
    secretArgs([
      "-y",
      "@acme/mcp",
      "--api-key",
      "abc123",
      "--port",
      "8080",
      "--token=xyz789",
      "GITHUB_PERSONAL_ACCESS_TOKEN=tok-1",
      "--password",
      "--verbose",
      "sk-ant-api03-abcdefgh",
      "/home/me/project",
    ]),
    ["abc123", "xyz789", "tok-1", "sk-ant-api03-abcdefgh"],
  );
});

Deno.test("secret args: a plain command line has none; masking keeps the flags", () => {
  assertEquals(
    secretArgs(["-y", "@modelcontextprotocol/server-filesystem", "/srv", "--port=1"]),
    [],
  );
  assertEquals(
    maskArgs(["--auth", "s3cret", "--db=/tmp/x", "--client-secret=hush", "xoxb-123456789-abc"]),
    ["--auth", "***", "--db=/tmp/x", "--client-secret=***", "***"],
  );
});

Deno.test("secret args: a header passed as an argument hides its value when its name says secret", () => {
  assertEquals(
    maskArgs([
      "-y",
      "mcp-remote",
      "https://mcp.example.com/sse",
      "--header",
      "Authorization: Bearer s3cr3t-T0KEN",
      "--header",
      "X-API-Key:abc123def",
      "--header",
      "Accept: text/event-stream",
    ]),
    [
      "-y",
      "mcp-remote",
      "https://mcp.example.com/sse",
      "--header",
      "Authorization: ***",
      "--header",
      "X-API-Key: ***",
      "--header",
      "Accept: text/event-stream",
    ],
  );
});
