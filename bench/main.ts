/**
 * `deno task bench`: the rmcp-mux benchmark. Starts everything it needs,
 * prints a table, writes a JSON report (default `bench/results/latest.json`).
 *
 *   deno task bench [--quick] [--only SCENARIO[,SCENARIO…]] [--json PATH]
 *
 * Scenarios: latency, throughput, memory, connect, fanout, peers, http, proxy.
 * See bench/README.md for what each measures and how to read the ratios.
 *
 * @module
 */

import type { BenchContext, ScenarioResult, TargetResult } from "./lib/context.ts";
import { table } from "./lib/format.ts";
import { running, sleep, stopAll } from "./lib/proc.ts";
import { connectScenario } from "./scenarios/connect.ts";
import { fanoutScenario } from "./scenarios/fanout.ts";
import { httpScenario } from "./scenarios/http.ts";
import { latencyScenario } from "./scenarios/latency.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { peersScenario } from "./scenarios/peers.ts";
import { proxyScenario } from "./scenarios/proxy.ts";
import { throughputScenario } from "./scenarios/throughput.ts";

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  latency: latencyScenario,
  throughput: throughputScenario,
  memory: memoryScenario,
  connect: connectScenario,
  fanout: fanoutScenario,
  peers: peersScenario,
  http: httpScenario,
  proxy: proxyScenario,
};

const USAGE = `usage: deno task bench [--quick] [--only SCENARIO[,SCENARIO...]] [--json PATH]

  --quick        fewer runs and iterations (about a minute or two on 2 cores)
  --only LIST    run only these scenarios: ${Object.keys(SCENARIOS).join(", ")}
  --json PATH    where to write the JSON report (default bench/results/latest.json;
                 with --only: bench/results/<scenarios>.tmp, git-ignored)
`;

interface Args {
  quick: boolean;
  only: string[];
  json: string | undefined;
}

function parseArgs(args: string[]): Args {
  const out: Args = { quick: false, only: [], json: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--quick":
        out.quick = true;
        break;
      case "--only":
        out.only.push(...value().split(",").map((s) => s.trim()).filter(Boolean));
        break;
      case "--json":
        out.json = value();
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  for (const name of out.only) {
    if (!(name in SCENARIOS)) {
      throw new Error(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(", ")})`);
    }
  }
  return out;
}

async function machine(): Promise<Record<string, unknown>> {
  let cpu = "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch {
    // Not Linux.
  }
  let node = "not found";
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stderr: "null" }).output();
    node = new TextDecoder().decode(out.stdout).trim();
  } catch {
    // No node.
  }
  return {
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node,
  };
}

function targetTable(targets: TargetResult[]): string[] {
  return table([
    ["target", "measured", "result"],
    ...targets.map((t) => [t.target, t.measured, t.pass ? "PASS" : "MISS"]),
  ]);
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(Deno.args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const root = new URL("../", import.meta.url).pathname;
  const tmp = await Deno.makeTempDir({ prefix: "rmcp-mux-bench-" });
  const started = performance.now();
  const ctx: BenchContext = {
    quick: args.quick,
    root,
    tmp,
    deno: Deno.execPath(),
    log: (message) => {
      const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
      console.error(`[${s} s] ${message}`);
    },
    socketPath: (name) => `${tmp}/${name}-${crypto.randomUUID().slice(0, 8)}.sock`,
  };
  let stopping = false;
  const onSignal = async () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    console.error("bench: interrupted; stopping every process it started");
    await stopAll();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  const names = args.only.length > 0 ? args.only : Object.keys(SCENARIOS);
  const results: ScenarioResult[] = [];
  const errors: { scenario: string; error: string }[] = [];
  const info = await machine();
  console.log(
    `rmcp-mux benchmark — ${
      args.quick ? "quick" : "full"
    } mode — ${info.cores} cores, ${info.cpu}` +
      `, Deno ${info.deno}, Node ${info.node}`,
  );
  try {
    for (const name of names) {
      ctx.log(`scenario ${name}`);
      try {
        const result = await SCENARIOS[name]!(ctx);
        results.push(result);
        console.log(`\n${result.title}\n`);
        for (const line of result.table) console.log(line);
        for (const note of result.notes) console.log(`  · ${note}`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        errors.push({ scenario: name, error: message });
        console.log(`\n${name}: FAILED: ${message}`);
      } finally {
        await stopAll().catch((error) => console.error(`bench: cleanup: ${error}`));
        // Let the kernel reap and settle before the next scenario measures anything.
        await sleep(200);
      }
    }
  } finally {
    await stopAll().catch((error) => console.error(`bench: cleanup: ${error}`));
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }

  const targets = results.flatMap((r) => r.targets);
  if (targets.length > 0) {
    console.log("\nTargets (each against a baseline measured in this run)\n");
    for (const line of targetTable(targets)) console.log(line);
    const passed = targets.filter((t) => t.pass).length;
    console.log(`\n${passed} of ${targets.length} targets met.`);
  }
  const seconds = (performance.now() - started) / 1000;
  const report = {
    tool: "rmcp-mux bench",
    date: new Date().toISOString(),
    mode: args.quick ? "quick" : "full",
    scenarios: names,
    durationSeconds: Math.round(seconds * 10) / 10,
    machine: info,
    results: Object.fromEntries(results.map((r) => [r.name, { title: r.title, ...r.data }])),
    tables: Object.fromEntries(results.map((r) => [r.name, r.table])),
    notes: Object.fromEntries(results.map((r) => [r.name, r.notes])),
    targets,
    errors,
  };
  const path = args.json ??
    (args.only.length > 0
      ? `${root}bench/results/${args.only.join("-")}.tmp`
      : `${root}bench/results/latest.json`);
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmpPath = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmpPath, JSON.stringify(report, null, 2) + "\n");
  await Deno.rename(tmpPath, path);
  console.log(`\nDone in ${seconds.toFixed(0)} s. JSON report: ${path}`);
  const leftover = running();
  if (leftover.length > 0) {
    console.error(`bench: ${leftover.length} processes were still registered at exit`);
  }
  return errors.length > 0 ? 1 : 0;
}

Deno.exit(await main());
