import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import { BindThread } from "../_helpers/bind_thread.ts";
import { tempDir } from "../_helpers/temp.ts";
import { MuxServer } from "../../src/server/mux_server.ts";
import {
  listenPrivately,
  MAX_SOCKET_PATH_BYTES,
  SocketPathError,
} from "../../src/server/socket_path.ts";

const modeOf = (path: string) => Deno.lstatSync(path).mode! & 0o777;
const namesIn = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const inUse = (path: string) =>
  `"${path}" is in use by another process; stop it or choose another --socket path`;

/** Connect to `path` and see the listener accept it. */
async function accepts(listener: Deno.Listener, path: string): Promise<void> {
  const accepted = listener.accept();
  const conn = await Deno.connect({ transport: "unix", path });
  (await accepted).close();
  conn.close();
}

Deno.test("a private socket is 0600 at its path, accepts, and its directory is left as it was", async () => {
  await using dir = await tempDir("rmcp-mux-sock-");
  Deno.chmodSync(dir, 0o755);
  const path = `${dir}/a.sock`;
  const listener = listenPrivately(path);
  try {
    assertEquals(modeOf(path), 0o600);
    assert(Deno.lstatSync(path).isSocket);
    assertEquals(modeOf(dir), 0o755);
    assertEquals(namesIn(dir), ["a.sock"], "no temporary directory is left");
    await accepts(listener, path);
  } finally {
    listener.close();
  }
});

Deno.test("binds in two threads at once never change the process umask, and leave nothing behind", async () => {
  // In a process of its own: the other test modules are threads of this one.
  await using dir = await tempDir("rmcp-mux-sock-");
  const script = new URL("../_helpers/concurrent_binds.ts", import.meta.url).pathname;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, dir, "200"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  assertEquals(run.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(run.stdout));
  assertEquals(report.seen, [report.before], "the umask changed while sockets were bound");
  assertEquals(report.after, report.before);
  assertEquals(report.left, []);
});

Deno.test("two threads binding one path at once: exactly one wins, the other is told it is in use", async () => {
  await using dir = await tempDir("rmcp-mux-sock-");
  const paths = Array.from({ length: 20 }, (_, i) => `${dir}/${i}.sock`);
  using first = new BindThread();
  using second = new BindThread();
  const [a, b] = await Promise.all([first, second].map((t) => t.ask({ kind: "bind", paths })));
  try {
    paths.forEach((path, i) => {
      const outcomes = [a!.outcomes[i]!, b!.outcomes[i]!];
      assertEquals(outcomes.filter((o) => o.ok).length, 1, `${path}: ${JSON.stringify(outcomes)}`);
      assertEquals(outcomes.find((o) => !o.ok), { ok: false, error: inUse(path) });
      assertEquals(modeOf(path), 0o600);
    });
    assertEquals(namesIn(dir), paths.map((p) => p.slice(dir.length + 1)).sort());
  } finally {
    await Promise.all([first, second].map((t) => t.ask({ kind: "close" })));
  }
  assertEquals(namesIn(dir), []);
});

Deno.test("a path that is taken: the in-use error, the file untouched, nothing left behind", async () => {
  await using dir = await tempDir("rmcp-mux-sock-");
  const file = `${dir}/file.sock`;
  Deno.writeTextFileSync(file, "keep");
  assertThrows(() => listenPrivately(file), SocketPathError, inUse(file));
  assertEquals(Deno.readTextFileSync(file), "keep");
  const live = `${dir}/live.sock`;
  const listener = listenPrivately(live);
  try {
    assertThrows(() => listenPrivately(live), SocketPathError, inUse(live));
    await accepts(listener, live);
    assertEquals(namesIn(dir), ["file.sock", "live.sock"]);
  } finally {
    listener.close();
  }
});

Deno.test("a directory that cannot be written: the clear error, nothing created", () => {
  assertThrows(
    () => listenPrivately("/sys/rmcp-mux-test.sock"),
    SocketPathError,
    `cannot create the socket "/sys/rmcp-mux-test.sock": permission denied in "/sys"; ` +
      "choose a --socket path in a directory you can write",
  );
});

Deno.test("a path too long for the temporary name still binds 0600, in a private directory or not", async () => {
  await using root = await tempDir("rmcp-mux-sock-");
  // `<dir>/s` fits; `<dir>/.rmcp-xxxxxx/s` would not.
  const dir = `${root}/${"d".repeat(MAX_SOCKET_PATH_BYTES - 7 - root.length - 1)}`;
  Deno.mkdirSync(dir);
  const path = `${dir}/s`;
  assert(new TextEncoder().encode(path).length <= MAX_SOCKET_PATH_BYTES);
  for (const dirMode of [0o700, 0o755]) {
    Deno.chmodSync(dir, dirMode);
    const listener = listenPrivately(path);
    try {
      assertEquals(modeOf(path), 0o600, dirMode.toString(8));
      assertEquals(modeOf(dir), dirMode);
      await accepts(listener, path);
    } finally {
      listener.close(); // Bound at `path` itself: Deno unlinks it.
      await Deno.remove(path).catch(() => {});
    }
    assertEquals(namesIn(dir), []);
  }
});

Deno.test("a mux closed removes its socket; no temporary name was left to remove", async () => {
  await using dir = await tempDir("rmcp-mux-sock-");
  const socket = `${dir}/svc.sock`;
  const mux = await MuxServer.start({ socket, cmd: "no-such-program-rmcp-mux", lazyStart: true });
  assertEquals(namesIn(dir), ["svc.sock"]);
  assertEquals(modeOf(socket), 0o600);
  await mux.close();
  assertEquals(namesIn(dir), []);
});
