/**
 * What every scenario gets: the mode, paths, and a place to log progress.
 *
 * @module
 */

/** Shared settings of one benchmark run. */
export interface BenchContext {
  /** `--quick`: fewer repeats and iterations (about a minute end to end). */
  quick: boolean;
  /** The project root (where deno.json and main.ts live). */
  root: string;
  /** A private temporary directory for sockets; removed at the end. */
  tmp: string;
  /** The Deno executable running the benchmark (used for every Deno child). */
  deno: string;
  /** Progress line to stderr (stdout carries only the table). */
  log(message: string): void;
  /** A fresh socket path inside {@link tmp}. */
  socketPath(name: string): string;
}

/** One target: what was promised, what was measured, whether it holds. */
export interface TargetResult {
  id: string;
  /** The promise, e.g. "mux adds ≤ 1.5 × what the relay adds (p50, fast fixture)". */
  target: string;
  /** The measured value, formatted (e.g. "1.21 × (0.9–1.4)"). */
  measured: string;
  /** Numeric value compared with the limit. */
  value: number;
  limit: number;
  pass: boolean;
}

/** What a scenario hands back. */
export interface ScenarioResult {
  name: string;
  title: string;
  /** The printed table (already formatted lines). */
  table: string[];
  /** Everything measured, for the JSON report. */
  data: Record<string, unknown>;
  targets: TargetResult[];
  /** Notes printed under the table (caveats, what was skipped and why). */
  notes: string[];
}
