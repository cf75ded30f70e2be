/**
 * `rmcp-mux status --watch` in a terminal: a table with a selected row, keys
 * to restart/stop/start a service or reload the daemon — each behind a
 * confirmation line — and the selected service's last exit and stderr below.
 * Pure: keys and snapshots in, a new UI state and screen lines out.
 *
 * @module
 */

import type { DaemonStatus, ServiceStatus } from "../daemon/daemon.ts";
import {
  alignColumns,
  daemonTitle,
  describeState,
  printable,
  STATUS_COLUMNS,
  statusRow,
} from "./status_view.ts";

/** A key, decoded: `up`, `down`, `escape`, `enter`, `ctrl-c`, or the character typed. */
export type Key = string;

/** Something the watch view asks the daemon to do. */
export interface WatchAction {
  command: "restart" | "stop" | "start" | "reload";
  /** The service, for every command but `reload`. */
  service?: string;
}

/** The terminal view's own state (what the snapshot does not say). */
export interface WatchUi {
  /** The selected service's name. */
  selected: string | undefined;
  /** An action waiting for `y`. */
  confirm: WatchAction | undefined;
  /** An action sent and not answered yet. */
  busy: WatchAction | undefined;
  /** The last outcome, shown on the bottom line. */
  message: { text: string; ok: boolean } | undefined;
}

/** The state a watch starts in. */
export const INITIAL_UI: WatchUi = {
  selected: undefined,
  confirm: undefined,
  busy: undefined,
  message: undefined,
};

/** The keys line shown under the table. */
export const KEYS_HELP = "↑/↓ or j/k select  r restart  s stop  S start  l reload  q quit";

/** Split what the terminal sent into keys (arrow keys arrive as escape sequences). */
export function parseKeys(input: string): Key[] {
  const keys: Key[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === "\x1b") {
      const next = input[i + 1];
      if (next === "[" || next === "O") {
        // CSI or SS3: parameters, then one final byte in @–~.
        let j = i + 2;
        while (j < input.length && !/[@-~]/.test(input[j]!)) j++;
        const final = input[j];
        keys.push(final === "A" ? "up" : final === "B" ? "down" : "other");
        i = j;
      } else {
        keys.push("escape");
      }
    } else if (c === "\x03") keys.push("ctrl-c");
    else if (c === "\r" || c === "\n") keys.push("enter");
    else keys.push(c);
  }
  return keys;
}

const VERBS: Record<WatchAction["command"], { ask: string; doing: string }> = {
  restart: { ask: "Restart", doing: "restarting" },
  stop: { ask: "Stop", doing: "stopping" },
  start: { ask: "Start", doing: "starting" },
  reload: { ask: "Reload", doing: "reloading" },
};

/** `restart github`, `reload the config file`. */
function target(action: WatchAction): string {
  return action.service ?? "the config file";
}

const ACTION_KEYS: Record<string, WatchAction["command"]> = {
  r: "restart",
  s: "stop",
  S: "start",
  l: "reload",
};

/** The selected service, or the first one when the selection is gone (or never was). */
export function selectedName(ui: WatchUi, names: readonly string[]): string | undefined {
  return ui.selected !== undefined && names.includes(ui.selected) ? ui.selected : names[0];
}

/** What a key does: the next UI state, and an action to run or a request to quit. */
export function onKey(
  ui: WatchUi,
  key: Key,
  names: readonly string[],
  controls: string | true,
): { ui: WatchUi; run?: WatchAction; quit?: true } {
  const selected = selectedName(ui, names);
  if (key === "ctrl-c") return { ui, quit: true };
  if (ui.confirm) {
    if (key === "y" || key === "Y") {
      const run = ui.confirm;
      return {
        ui: {
          ...ui,
          confirm: undefined,
          busy: run,
          message: { text: `${VERBS[run.command].doing} ${target(run)}…`, ok: true },
        },
        run,
      };
    }
    return { ui: { ...ui, confirm: undefined, message: { text: "cancelled", ok: true } } };
  }
  if (key === "q" || key === "escape") return { ui, quit: true };
  if (key === "up" || key === "k" || key === "down" || key === "j") {
    if (names.length === 0) return { ui };
    const at = selected === undefined ? 0 : names.indexOf(selected);
    const step = key === "up" || key === "k" ? -1 : 1;
    return { ui: { ...ui, selected: names[(at + step + names.length) % names.length] } };
  }
  const command = ACTION_KEYS[key];
  if (!command) return { ui };
  if (controls !== true) return { ui: { ...ui, message: { text: controls, ok: false } } };
  if (ui.busy) {
    const busy = ui.busy;
    return {
      ui: {
        ...ui,
        message: {
          text: `still ${VERBS[busy.command].doing} ${target(busy)}; wait for it`,
          ok: false,
        },
      },
    };
  }
  if (command === "reload") return { ui: { ...ui, confirm: { command } } };
  if (selected === undefined) {
    return { ui: { ...ui, message: { text: "no service to act on", ok: false } } };
  }
  return { ui: { ...ui, selected, confirm: { command, service: selected } } };
}

/** The action came back: show its outcome. */
export function onOutcome(ui: WatchUi, outcome: { text: string; ok: boolean }): WatchUi {
  return { ...ui, busy: undefined, message: outcome };
}

/** How the screen is drawn. */
export interface ScreenOptions {
  /** Columns; lines are cut to fit. */
  width: number;
  /** Rows; the details are cut to fit. */
  height: number;
  /** Use colours and reverse video (off with NO_COLOR). */
  color: boolean;
}

type Snapshot = Pick<DaemonStatus, "services"> & Partial<DaemonStatus>;

const SGR = {
  reset: "\x1b[0m",
  reverse: "7",
  red: "31",
  yellow: "33",
  dim: "2",
  bold: "1",
};

function tone(service: ServiceStatus): string | undefined {
  if (service.state === "error") return SGR.red;
  if (service.state === "stopped") return SGR.dim;
  switch (service.mux?.server.phase) {
    case "failed":
      return SGR.red;
    case "restarting":
    case "starting":
      return SGR.yellow;
    case "idle":
      return SGR.dim;
    default:
      return undefined;
  }
}

/**
 * The whole screen as lines (no newlines, no cursor movement): title, table
 * with the selection, the selected service's details, keys, and the
 * confirmation or outcome line. `status` is an error message when the daemon
 * could not be reached.
 */
export function renderWatch(
  status: Snapshot | string,
  ui: WatchUi,
  now: number,
  options: ScreenOptions,
): string[] {
  const paint = (text: string, ...codes: (string | undefined)[]) => {
    const cut = cutTo(text, options.width);
    const active = codes.filter((c) => c !== undefined);
    return options.color && active.length > 0 ? `\x1b[${active.join(";")}m${cut}${SGR.reset}` : cut;
  };
  const top: string[] = [];
  const details: string[] = [];
  let selected: string | undefined;
  if (typeof status === "string") {
    top.push(paint(`cannot read the status: ${printable(status)}`, SGR.red), "");
  } else {
    const names = status.services.map((s) => s.name);
    selected = selectedName(ui, names);
    const title = daemonTitle(status, now);
    if (title) top.push(paint(title, SGR.bold));
    const [header, ...rows] = alignColumns(
      STATUS_COLUMNS,
      // A long failure reason would push every other column off the screen: the
      // details below give it in full.
      // A command in progress (from here or anywhere else) is what the state is now.
      status.services.map((s) =>
        statusRow(s, now).map((c, i) => i === 1 ? cutTo(s.busy ? `${s.busy}…` : c, 40) : c)
      ),
    );
    top.push(paint(`  ${header}`, SGR.dim));
    // More services than rows: a window that keeps the selection in view.
    const room = Math.max(1, options.height - top.length - 3);
    const at = Math.max(0, status.services.findIndex((s) => s.name === selected));
    const first = status.services.length <= room
      ? 0
      : Math.min(Math.max(0, at - Math.floor(room / 2)), status.services.length - room);
    status.services.slice(first, first + room).forEach((s, k) => {
      const mine = s.name === selected;
      const row = rows[first + k];
      top.push(paint(`${mine ? "›" : " "} ${row}`, mine ? SGR.reverse : undefined, tone(s)));
    });
    if (status.services.length === 0) top.push("  (no services)");
    const service = status.services.find((s) => s.name === selected);
    if (service) details.push("", ...detailsOf(service, now));
  }
  const bottom = ["", paint(KEYS_HELP, SGR.dim)];
  if (ui.confirm) {
    const ask = `${VERBS[ui.confirm.command].ask} ${target(ui.confirm)}?`;
    bottom.push(paint(`${ask} y to confirm, any other key cancels`, SGR.bold));
  } else if (ui.message) {
    bottom.push(paint(printable(ui.message.text), ui.message.ok ? undefined : SGR.red));
  } else bottom.push("");
  const room = Math.max(0, options.height - top.length - bottom.length);
  return [...top, ...fit(details, room).map((line) => paint(line)), ...bottom];
}

/** Detail lines; `stderr` ones are marked so {@link fit} can drop the oldest first. */
function detailsOf(service: ServiceStatus, now: number): string[] {
  const lines = [`${service.name}: ${printable(describeState(service, now))}`];
  lines.push(`  socket: ${service.socket}`);
  const mux = service.mux;
  if (mux?.httpUrl) lines.push(`  http: ${mux.httpUrl}`);
  if (mux?.lastExit) lines.push(`  last exit: ${printable(mux.lastExit)}`);
  if (mux && mux.clients.waiting > 0) {
    lines.push(`  ${mux.clients.waiting} clients waiting for a slot`);
  }
  for (const line of mux?.stderrTail ?? []) lines.push(`  stderr: ${printable(line)}`);
  return lines;
}

/** Keep `room` lines: the newest stderr lines are the telling ones, so the oldest go first. */
function fit(lines: string[], room: number): string[] {
  if (lines.length <= room) return lines;
  const head = lines.filter((l) => !l.startsWith("  stderr: "));
  const stderr = lines.filter((l) => l.startsWith("  stderr: "));
  const keep = Math.max(0, room - head.length);
  return [...head, ...(keep > 0 ? stderr.slice(-keep) : [])].slice(0, room);
}

/** Cut to `width` code points (wide characters are rare in status text). */
function cutTo(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join("") + "…";
}
