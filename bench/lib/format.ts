/**
 * Formatting for the printed tables.
 *
 * @module
 */

import type { Figure } from "./stats.ts";

/** A number with about three significant digits. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** `median (min–max)` with a unit after the median. */
export function fig(f: Figure | undefined, unit = "", format: (v: number) => string = num): string {
  if (!f || !Number.isFinite(f.median)) return "n/a";
  if (f.runs.length <= 1 || f.min === f.max) return `${format(f.median)}${unit}`;
  return `${format(f.median)}${unit} (${format(f.min)}–${format(f.max)})`;
}

/** A latency in ms given µs, e.g. `0.123 ms`. */
export function usAsMs(us: number): string {
  return num(us / 1000);
}

/** A ratio as a percentage, e.g. `85 %`. */
export function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : "n/a";
}

/** Bytes as KiB or MiB. */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (Math.abs(value) >= 1024 * 1024) return `${num(value / 1024 / 1024)} MiB`;
  return `${num(value / 1024)} KiB`;
}

/** MiB with no unit. */
export function mib(value: number): string {
  return num(value / 1024 / 1024);
}

/** KiB with no unit. */
export function kib(value: number): string {
  return num(value / 1024);
}

/** Render rows as an aligned text table; the first row is the header. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, [...cell].length));
  }
  const line = (row: string[]) =>
    row.map((cell, i) => {
      const pad = widths[i]! - [...cell].length;
      return i === 0 ? cell + " ".repeat(pad) : " ".repeat(pad) + cell;
    }).join("  ").trimEnd();
  const out = [line(rows[0]!), widths.map((w) => "─".repeat(w)).join("  ")];
  for (const row of rows.slice(1)) out.push(line(row));
  return out;
}
