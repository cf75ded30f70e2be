/**
 * Stand-ins for `systemctl --user` and `journalctl --user` (tests have no
 * user bus), put first on a CLI's PATH by {@link installFakeSystemd}. Run as
 * a program, `systemctl start U` reads the unit file `service install` wrote
 * for U and starts its `ExecStart=` for real — detached, with its
 * `Environment=` and `WorkingDirectory=`, its output in a journal file — and
 * `is-active`, `show -p MainPID`, `stop`, `restart` answer from the pid and
 * exit status it keeps. Every call is appended to `calls`; a `fail` file
 * makes every call fail with its text, as a systemctl without a user bus does.
 */

import { processAlive } from "./process.ts";

/** The stand-ins in `dir/bin`, their state in `dir/systemd`. */
export interface FakeSystemd {
  /** Put this first on PATH. */
  bin: string;
  /** Calls so far, one `systemctl --user start U` per line. */
  calls(): Promise<string[]>;
  /** From now on every call fails with `message` (undefined: works again). */
  fail(message: string | undefined): Promise<void>;
  /** Run the stand-in systemctl as a person would, with `env` (XDG_CONFIG_HOME…). */
  systemctl(
    env: Record<string, string>,
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The journal of unit `unit` (its daemon's output). */
  journal(unit: string): Promise<string>;
  /** Stop every daemon it started (test clean-up). */
  stopAll(): Promise<void>;
}

/** Write the stand-ins into `dir`. */
export async function installFakeSystemd(dir: string): Promise<FakeSystemd> {
  const bin = `${dir}/bin`;
  const state = `${dir}/systemd`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(state, { recursive: true });
  const self = new URL(import.meta.url).pathname;
  for (const name of ["systemctl", "journalctl"]) {
    await Deno.writeTextFile(
      `${bin}/${name}`,
      `#!/bin/sh\nFAKE_SYSTEMD_STATE='${state}' exec '${Deno.execPath()}' run -A --quiet ` +
        `'${self}' ${name} "$@"\n`,
      { mode: 0o755 },
    );
  }
  const run = async (program: string, args: string[], env: Record<string, string>) => {
    const out = await new Deno.Command(`${bin}/${program}`, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  };
  return {
    bin,
    calls: async () =>
      (await Deno.readTextFile(`${state}/calls`).catch(() => "")).split("\n").filter((l) => l),
    fail: async (message) => {
      if (message === undefined) await Deno.remove(`${state}/fail`).catch(() => {});
      else await Deno.writeTextFile(`${state}/fail`, message);
    },
    systemctl: (env, ...args) => run("systemctl", args, env),
    journal: (unit) => Deno.readTextFile(`${state}/${unit}.journal`).catch(() => ""),
    stopAll: async () => {
      for (const entry of Deno.readDirSync(state)) {
        if (entry.name.endsWith(".pid")) await stop(state, entry.name.slice(0, -4));
      }
    },
  };
}

// ---- the stand-in programs ----

async function main(program: string, args: string[]): Promise<number> {
  const state = Deno.env.get("FAKE_SYSTEMD_STATE")!;
  await Deno.writeTextFile(`${state}/calls`, `${program} ${args.join(" ")}\n`, { append: true });
  const fail = await Deno.readTextFile(`${state}/fail`).catch(() => undefined);
  if (fail !== undefined) {
    console.error(fail);
    return 1;
  }
  const words = args.filter((a) => a !== "--user" && a !== "--no-pager");
  if (program === "journalctl") {
    const unit = words[words.indexOf("-u") + 1]!;
    const lines = Number(words[words.indexOf("-n") + 1] ?? 10);
    const text = await Deno.readTextFile(`${state}/${unit}.journal`).catch(() => "");
    console.log(text.trimEnd().split("\n").slice(-lines).join("\n"));
    return 0;
  }
  const [verb, ...rest] = words;
  const unit = rest.at(-1)!;
  switch (verb) {
    case "show-environment":
      console.log(`HOME=${Deno.env.get("HOME")}\nPATH=${Deno.env.get("PATH")}`);
      return 0;
    case "daemon-reload":
    case "enable":
      return 0;
    case "is-enabled":
      console.log("enabled");
      return 0;
    case "start":
      return await start(state, unit);
    case "restart":
      await stop(state, unit);
      return await start(state, unit);
    case "stop":
    case "disable":
      await stop(state, unit);
      return 0;
    case "is-active": {
      const activity = await active(state, unit);
      console.log(activity);
      return activity === "active" ? 0 : 3;
    }
    case "show": {
      const pid = await mainPid(state, unit);
      console.log(pid ?? 0);
      return 0;
    }
    default:
      console.error(`fake systemctl: unknown verb ${verb}`);
      return 1;
  }
}

async function mainPid(state: string, unit: string): Promise<number | undefined> {
  const pid = Number(await Deno.readTextFile(`${state}/${unit}.pid`).catch(() => "0"));
  return pid > 0 && processAlive(pid) ? pid : undefined;
}

/** `active`, or — once its daemon exited — `inactive` (exit 0) or `failed`. */
async function active(state: string, unit: string): Promise<string> {
  if (await mainPid(state, unit)) return "active";
  const status = await Deno.readTextFile(`${state}/${unit}.status`).catch(() => undefined);
  return status === undefined || status.trim() === "0" ? "inactive" : "failed";
}

async function start(state: string, unit: string): Promise<number> {
  if (await mainPid(state, unit)) return 0; // as systemd: starting an active unit does nothing
  const config = Deno.env.get("XDG_CONFIG_HOME") ?? `${Deno.env.get("HOME")}/.config`;
  let text: string;
  try {
    text = await Deno.readTextFile(`${config}/systemd/user/${unit}`);
  } catch {
    console.error(`Failed to start ${unit}: Unit ${unit} not found.`);
    return 5;
  }
  const value = (key: string) =>
    text.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
  const argv = words(value("ExecStart")[0]!);
  const env: Record<string, string> = {};
  for (const line of value("Environment")) {
    for (const pair of words(line)) {
      const eq = pair.indexOf("=");
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  await Deno.remove(`${state}/${unit}.status`).catch(() => {});
  await Deno.remove(`${state}/${unit}.pid`).catch(() => {});
  // A shell keeps the exit status, as systemd does; the daemon's pid is what MainPID says.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      '"$@" >>"$0.journal" 2>&1 </dev/null & echo $! >"$0.pid"; wait $!; echo $? >"$0.status"',
      `${state}/${unit}`,
      ...argv,
    ],
    env,
    cwd: words(value("WorkingDirectory")[0] ?? "/")[0],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  for (let i = 0; i < 100; i++) {
    if (await mainPid(state, unit)) return 0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return 0;
}

async function stop(state: string, unit: string): Promise<void> {
  const pid = await mainPid(state, unit);
  if (!pid) return;
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 1500 && processAlive(pid); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The words of a unit file line: "quoted" with \" and \\, then %% and $$ undone. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const word = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2]!;
    out.push(word.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return out;
}

if (import.meta.main) Deno.exit(await main(Deno.args[0]!, Deno.args.slice(1)));
