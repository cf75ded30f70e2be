/**
 * `rmcp-mux status --watch`: on a terminal, a full-screen view redrawn every
 * second (and at once after a key or an action) that reads keys in raw mode;
 * otherwise — output piped to a file or a program — one plain snapshot per
 * interval, without a single escape code.
 *
 * @module
 */

import type { DaemonStatus } from "../daemon/daemon.ts";
import { delay } from "../async/wait.ts";
import { formatStatus } from "./status_view.ts";
import {
  INITIAL_UI,
  onKey,
  onOutcome,
  parseKeys,
  renderWatch,
  type WatchAction,
  type WatchUi,
} from "./watch_view.ts";

/** Redraw (and re-read the status) this often, ms. */
export const WATCH_INTERVAL_MS = 1_000;

/** What the watch reads and acts on. */
export interface WatchSource {
  /** Read the status (a daemon's, or one mux's as a one-service daemon). */
  fetch(): Promise<Pick<DaemonStatus, "services"> & Partial<DaemonStatus>>;
  /** Run an action; never throws: failures come back as `ok: false` with the reason. */
  act(action: WatchAction): Promise<{ text: string; ok: boolean }>;
  /** `true` when actions are possible, else why not (a single mux has no controls). */
  controls: true | string;
  /** Plain mode: add each server's stderr lines (`-v`). */
  verbose: boolean;
}

const encoder = new TextEncoder();

function writeAll(text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

/** Run the watch until `q`, Ctrl+C, SIGINT or SIGTERM. Returns the exit code. */
export async function watchStatus(source: WatchSource): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    if (Deno.stdout.isTerminal()) await screen(source, stop);
    else await plain(source, stop.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  return 0;
}

/** Piped output: a snapshot per interval, separated by a timestamp line. */
async function plain(source: WatchSource, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let text: string;
    try {
      text = formatStatus(await source.fetch(), Date.now(), source.verbose);
    } catch (error) {
      text = `cannot read the status: ${error instanceof Error ? error.message : String(error)}\n`;
    }
    try {
      writeAll(`${text}(at ${new Date().toLocaleTimeString()})\n\n`);
    } catch {
      return; // the reader went away (a closed pipe): nothing left to do
    }
    await delay(WATCH_INTERVAL_MS, signal);
  }
}

/** A terminal: the alternate screen, raw keys when stdin is a terminal too. */
async function screen(source: WatchSource, stop: AbortController): Promise<void> {
  const keys = Deno.stdin.isTerminal();
  const controls = keys ? source.controls : "keys need a terminal on stdin; Ctrl+C quits";
  let ui: WatchUi = INITIAL_UI;
  let last: Parameters<typeof renderWatch>[0] | undefined;
  let wake = new AbortController();
  const draw = () => {
    if (last === undefined || stop.signal.aborted) return;
    const { columns, rows } = Deno.consoleSize();
    const lines = renderWatch(last, ui, Date.now(), {
      width: columns,
      height: rows,
      color: !Deno.noColor,
    });
    // Home, each line then clear-to-end, then clear below: no flicker, no scrolling.
    writeAll(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join("\r\n")}\x1b[J`);
  };
  const press = (key: string) => {
    const names = typeof last === "object" ? last.services.map((s) => s.name) : [];
    const next = onKey(ui, key, names, controls);
    ui = next.ui;
    if (next.quit) {
      stop.abort();
      return;
    }
    if (next.run) {
      void source.act(next.run).then((outcome) => {
        ui = onOutcome(ui, outcome);
        wake.abort(); // re-read the status now: the action changed it
      });
    }
    draw();
  };
  // Alternate screen, cursor hidden; both undone on the way out, whatever happens.
  writeAll("\x1b[?1049h\x1b[?25l");
  if (keys) Deno.stdin.setRaw(true);
  Deno.addSignalListener("SIGWINCH", draw);
  try {
    if (keys) void readKeys(press, stop.signal);
    while (!stop.signal.aborted) {
      try {
        last = await source.fetch();
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      draw();
      wake = new AbortController();
      await delay(WATCH_INTERVAL_MS, AbortSignal.any([stop.signal, wake.signal]));
    }
  } finally {
    Deno.removeSignalListener("SIGWINCH", draw);
    if (keys) Deno.stdin.setRaw(false);
    writeAll("\x1b[?25h\x1b[?1049l");
  }
}

/**
 * Read keys until `signal` aborts or stdin ends. The last read stays pending
 * when the watch ends: the command exits right after, which ends it.
 */
async function readKeys(press: (key: string) => void, signal: AbortSignal): Promise<void> {
  const buffer = new Uint8Array(256);
  const decoder = new TextDecoder();
  while (!signal.aborted) {
    let n: number | null;
    try {
      n = await Deno.stdin.read(buffer);
    } catch {
      return;
    }
    if (n === null || signal.aborted) return;
    for (const key of parseKeys(decoder.decode(buffer.subarray(0, n), { stream: true }))) {
      press(key);
      if (signal.aborted) return;
    }
  }
}
