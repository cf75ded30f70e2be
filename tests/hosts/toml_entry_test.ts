import { parse } from "smol-toml";
import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { locateTomlEntry, rewriteTomlEntry } from "../../src/hosts/toml_entry.ts";
import { scanToml } from "../../src/hosts/toml_scan.ts";
import { EditError } from "../../src/hosts/json_entry.ts";

const DROP = ["command", "args", "env", "cwd", "url"];
const SET = { command: "/bin/rmcp-mux", args: ["proxy", "--socket", "/s"] };

Deno.test("toml: a [mcp_servers.x] table is rewritten in place; its comments and other keys stay", () => {
  const text =
    '# top\n[mcp_servers.x] # header comment\ncommand = "npx"\n# about args\nargs = ["a"]\nenabled = true\n\n[mcp_servers.x.env]\nK = "v"\n\n[other]\nk = 1\n';
  const out = rewriteTomlEntry(text, ["mcp_servers"], "x", SET, DROP);
  assertEquals(
    out,
    '# top\n[mcp_servers.x] # header comment\ncommand = "/bin/rmcp-mux"\nargs = ["proxy", "--socket", "/s"]\n# about args\nenabled = true\n\n[other]\nk = 1\n',
  );
  assertEquals(JSON.parse(JSON.stringify(parse(out).mcp_servers)), {
    x: { ...SET, enabled: true },
  });
});

Deno.test("toml: inline tables, dotted keys, quoted names and CRLF", () => {
  const inline =
    '[mcp_servers]\n"my server" = { command = "uvx", args = ["x"], enabled = false } # keep\n';
  assertEquals(
    rewriteTomlEntry(inline, ["mcp_servers"], "my server", SET, DROP),
    '[mcp_servers]\n"my server" = { command = "/bin/rmcp-mux", args = ["proxy", "--socket", "/s"], enabled = false } # keep\n',
  );
  const dotted = 'mcp_servers.x.command = "npx"\r\nmcp_servers.x.args = ["a"]\r\nmodel = "o3"\r\n';
  assertEquals(
    rewriteTomlEntry(dotted, ["mcp_servers"], "x", SET, DROP),
    'mcp_servers.x.command = "/bin/rmcp-mux"\r\nmcp_servers.x.args = ["proxy", "--socket", "/s"]\r\nmodel = "o3"\r\n',
  );
});

Deno.test("toml: an entry split by another table is refused, not guessed at", () => {
  const text = '[mcp_servers.x]\ncommand = "a"\n[other]\nk = 1\n[mcp_servers.x.env]\nK = "v"\n';
  assertThrows(() => locateTomlEntry(text, ["mcp_servers"], "x"), EditError);
});

Deno.test("toml: the skimmer follows multi-line strings, arrays with comments and dates", () => {
  const text =
    "a = \"\"\"x\n[not.a.table]\n\"\"\"\nb = [\n  1, # one\n  2,\n]\nc = 1979-05-27 07:32:00Z\nd = '''lit'''\n[t]\ne = { f = { g = 1 } }\n";
  const s = scanToml(text);
  assertEquals(s.map((x) => x.path.join(".")), ["a", "b", "c", "d", "t", "t.e"]);
});
