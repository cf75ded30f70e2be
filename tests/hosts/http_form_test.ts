/**
 * The HTTP entry `rewire --via http` writes for each host: exactly the keys
 * and variable syntax the host's documentation gives (sources in each
 * adapter's comment and docs/hosts.md), never the token itself, and a real
 * MCP handshake through the mux's listener with the headers the host sends.
 */

import { adapterOf, ADAPTERS } from "../../src/hosts/adapters/mod.ts";
import { customAdapter } from "../../src/hosts/adapters/custom.ts";
import { httpUrlOf } from "../../src/hosts/mux_config.ts";
import { toMuxSyntax } from "../../src/hosts/translate.ts";
import { type HostId, TOKEN_ENV, type TokenRef } from "../../src/hosts/types.ts";
import { verifyEntry } from "../../src/hosts/verify.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startHttpMux } from "../_helpers/http.ts";
import { everythingServer } from "../_helpers/mux.ts";

const URL_ = "http://127.0.0.1:7300/mcp/memory";
const TOKEN: TokenRef = { file: "/home/me/.local/state/rmcp-mux/http.token", envVar: TOKEN_ENV };

function formOf(id: HostId, url = URL_, token = TOKEN): Record<string, unknown> | undefined {
  return adapterOf(id)!.httpForm?.(url, token);
}

Deno.test("host HTTP entries: each host's file gets the keys and variable syntax its docs give", () => {
  assertEquals(formOf("claude-code"), {
    type: "http",
    url: URL_,
    headersHelper: `t=$(cat '${TOKEN.file}') && printf '{"Authorization":"Bearer %s"}' "$t"`,
  });
  assertEquals(formOf("codex"), { url: URL_, bearer_token_env_var: "RMCP_MUX_TOKEN" });
  assertEquals(formOf("cursor"), {
    url: URL_,
    headers: { Authorization: "Bearer ${env:RMCP_MUX_TOKEN}" },
  });
  assertEquals(formOf("vscode"), {
    type: "http",
    url: URL_,
    headers: { Authorization: "Bearer ${env:RMCP_MUX_TOKEN}" },
  });
  assertEquals(formOf("windsurf"), {
    serverUrl: URL_,
    headers: { Authorization: "Bearer ${env:RMCP_MUX_TOKEN}" },
  });
  assertEquals(formOf("gemini"), {
    httpUrl: URL_,
    headers: { Authorization: "Bearer ${RMCP_MUX_TOKEN}" },
  });
  // A header's reference is in the syntax the adapter declares for the host, so it is the
  // variable the host resolves (and what scan reads back): never a literal.
  for (const adapter of ADAPTERS) {
    const headers = adapter.httpForm?.(URL_, TOKEN).headers as Record<string, string> | undefined;
    for (const value of Object.values(headers ?? {})) {
      assertEquals(
        toMuxSyntax(value, adapter.variables, {}),
        "Bearer ${RMCP_MUX_TOKEN}",
        adapter.id,
      );
    }
  }
  // Every host reads its entry's URL from the key the discovery reads back.
  for (const adapter of ADAPTERS) {
    const form = adapter.httpForm?.(URL_, TOKEN);
    if (form) assertEquals(adapter.classify(form), { kind: "remote", url: URL_ }, adapter.id);
  }
});

Deno.test("host HTTP entries: a host whose file cannot take one says why", () => {
  const why = (id: HostId) => {
    const adapter = adapterOf(id)!;
    assertEquals(adapter.httpForm, undefined, id);
    return adapter.httpUnsupported ?? "";
  };
  assertMatch(why("claude-desktop"), /^Claude Desktop takes only stdio servers in its file/);
  assertMatch(why("claude-desktop"), /connectors, reached from Anthropic's cloud/);
  assertMatch(why("junie"), /^Junie takes only stdio servers$/);
  assertMatch(why("zed"), /^Zed's settings have no variables: .* token in clear$/);
  for (const format of ["json", "vscode", "zed", "codex"] as const) {
    const adapter = customAdapter(format);
    assertEquals(adapter.httpForm, undefined, format);
    assertMatch(adapter.httpUnsupported ?? "", /--path file/, format);
  }
  // And every host that has no HTTP form has a reason.
  for (const adapter of ADAPTERS) {
    assert(
      (adapter.httpForm === undefined) !== (adapter.httpUnsupported === undefined),
      adapter.id,
    );
  }
});

Deno.test("host HTTP entries: each one completes a real handshake through the listener; a wrong token is refused", async () => {
  await using h = await startHttpMux(everythingServer());
  const url = httpUrlOf(`127.0.0.1:${h.listener.port}`, h.mux.service);
  const token: TokenRef = { file: h.listener.tokenFile!, envVar: TOKEN_ENV };
  const wrongFile = `${h.dir}/wrong.token`;
  await Deno.writeTextFile(wrongFile, "not-the-token\n");
  const hosts = ADAPTERS.filter((a) => a.httpForm !== undefined).map((a) => a.id);
  assertEquals(hosts, ["claude-code", "codex", "cursor", "vscode", "windsurf", "gemini"]);
  for (const id of hosts) {
    // As the host runs: its variable set where it starts (Claude Code's helper reads the file).
    const ok = await verifyEntry(formOf(id, url, token)!, token, { [TOKEN_ENV]: h.token });
    assert(ok.ok, `${id}: ${ok.detail}`);
    const bad = await verifyEntry(
      formOf(id, url, { ...token, file: wrongFile })!,
      { ...token, file: wrongFile },
      { [TOKEN_ENV]: "not-the-token" },
    );
    assert(!bad.ok, `${id}: a wrong token got through`);
    assertMatch(bad.detail, /401|nauthorized|token/i, id);
  }
});
