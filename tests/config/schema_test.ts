import { assert, assertEquals, assertStrictEquals, assertThrows } from "../_helpers/assert.ts";
import { parse } from "yaml";
import { OptionError, resolveOptions } from "../../src/config/options.ts";
import {
  configJsonSchema,
  configSchemaText,
  IGNORED_RUST_KEYS,
  KNOWN_KEYS,
  OPTION_KEYS,
} from "../../src/config/schema.ts";
import { parseYaml, yamlProblems } from "./_support.ts";
import { MAX_CANCEL_GRACE_MS } from "../../src/router/cancelled_calls.ts";

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  minimum?: number;
  maximum?: number;
  deprecated?: boolean;
}

const schema = configJsonSchema() as JsonSchema;
const serverSchema = schema.properties!.servers!.additionalProperties as JsonSchema;

Deno.test("docs/config.schema.json is what the code generates (run `deno task schema`)", async () => {
  const shipped = await Deno.readTextFile(
    new URL("../../docs/config.schema.json", import.meta.url),
  );
  assertStrictEquals(
    shipped,
    configSchemaText(),
    "docs/config.schema.json is stale: run deno task schema",
  );
});

Deno.test("JSON Schema: strict objects, required keys, Rust keys deprecated", () => {
  assertStrictEquals(schema.additionalProperties, false);
  assertEquals(schema.required, ["servers"]);
  assertStrictEquals(serverSchema.additionalProperties, false);
  assertEquals(serverSchema.required, ["cmd"]);
  for (const key of Object.keys(IGNORED_RUST_KEYS)) {
    assertStrictEquals(serverSchema.properties![key]?.deprecated, true, key);
  }
  const defaults = schema.properties!.defaults!;
  for (const key of ["socket", "cmd", "args", "service_name", "status_file"]) {
    assertStrictEquals(defaults.properties![key], undefined, `${key} is per server only`);
  }
});

Deno.test("whole-number keys have resolveOptions' minimums", () => {
  const numeric = Object.entries(serverSchema.properties!).filter(([, s]) => s.type === "integer");
  assertEquals(numeric.map(([key]) => key), [
    "max_active_clients",
    "client_wait_ms",
    "max_request_bytes",
    "max_response_bytes",
    "request_timeout_ms",
    "cancel_grace_ms",
    "restart_backoff_ms",
    "restart_backoff_max_ms",
    "max_restarts",
    "heartbeat_timeout_ms",
    "heartbeat_max_failures",
    "max_processes",
    "idle_timeout_ms",
  ]);
  // Backoffs start at 1 so a max at its minimum is not below the (default) first delay.
  const base = { socket: "/x.sock", cmd: "x", restartBackoffMs: 1 };
  for (const [key, { minimum }] of numeric) {
    const field = OPTION_KEYS[key]!;
    assert(typeof minimum === "number", key);
    resolveOptions({ ...base, [field]: minimum });
    assertThrows(() => resolveOptions({ ...base, [field]: minimum - 1 }), OptionError, field);
    const entry = (value: number) =>
      `  x: { socket: /x.sock, cmd: x, restart_backoff_ms: 1, ${key}: ${value} }`
        .replace(key === "restart_backoff_ms" ? "restart_backoff_ms: 1, " : "\0", "");
    assertStrictEquals(yamlProblems(["servers:", entry(minimum - 1)]).length, 1, key);
    parseYaml(["servers:", entry(minimum)]);
  }
});

Deno.test("cancel_grace_ms has resolveOptions' maximum, MAX_CANCEL_GRACE_MS", () => {
  const { maximum } = serverSchema.properties!.cancel_grace_ms!;
  assertStrictEquals(maximum, MAX_CANCEL_GRACE_MS);
  const base = { socket: "/x.sock", cmd: "x" };
  resolveOptions({ ...base, cancelGraceMs: maximum });
  assertThrows(() => resolveOptions({ ...base, cancelGraceMs: maximum + 1 }), OptionError);
  const entry = (value: number) => `  x: { socket: /x.sock, cmd: x, cancel_grace_ms: ${value} }`;
  parseYaml(["servers:", entry(maximum)]);
  assertEquals(yamlProblems(["servers:", entry(maximum + 1)]), [
    "config.yaml:2:50 servers.x.cancel_grace_ms: expected a whole number from 0 to 60000, " +
    "got 60001",
  ]);
});

Deno.test("config.example.yaml documents every key, each with a comment", async () => {
  const source = await Deno.readTextFile(new URL("../../config.example.yaml", import.meta.url));
  assert(source.startsWith("# yaml-language-server: $schema=./docs/config.schema.json\n"));
  const example = parse(source) as Record<string, Record<string, Record<string, unknown>>>;
  const present = {
    file: Object.keys(example),
    daemon: Object.keys(example.daemon ?? {}),
    defaults: Object.keys(example.defaults ?? {}),
    server: Object.values(example.servers ?? {}).flatMap((entry) => Object.keys(entry)),
  };
  const lines = source.split("\n");
  for (const [kind, keys] of Object.entries(KNOWN_KEYS)) {
    for (const key of keys) {
      if (key in IGNORED_RUST_KEYS) {
        assert(source.includes(`# ${key}:`), `Rust key ${key} is mentioned`);
        continue;
      }
      if (key === "$schema") continue; // the modeline on the first line
      if (kind === "defaults" && (key === "isolation" || key === "idle_timeout_ms")) {
        // No single built-in default to show: mentioned in a comment.
        assert(source.includes(`  # ${key}:`), `defaults key ${key} is mentioned`);
        continue;
      }
      assert(
        present[kind as keyof typeof present].includes(key),
        `${kind} key ${key} is in the example`,
      );
      if (kind === "file") continue;
      assert(
        lines.some((line) => new RegExp(`^\\s+${key}:.* # \\S`).test(line)),
        `${kind} key ${key} has a comment`,
      );
    }
  }
});
