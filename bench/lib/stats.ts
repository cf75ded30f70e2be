/**
 * Statistics for the benchmark: percentiles of one run's samples, and the
 * median/min/max of one figure over repeated runs.
 *
 * @module
 */

/** One figure over repeated runs: the median is the figure, min and max its spread. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order. */
  runs: number[];
}

/** The `p`-th percentile (0–100) of `samples` (nearest rank). NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The median of `values` (mean of the two middle ones for an even count). NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, min and max of one figure's per-run values. */
export function figure(runs: readonly number[]): Figure {
  const finite = runs.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: NaN, min: NaN, max: NaN, runs: [...runs] };
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    runs: [...runs],
  };
}

/** Per-run ratios `a[i] / b[i]` as a figure (runs paired: same repeat, same conditions). */
export function ratioFigure(a: readonly number[], b: readonly number[]): Figure {
  return figure(a.map((v, i) => v / b[i]!));
}

/** Per-run differences `a[i] - b[i]` as a figure. */
export function diffFigure(a: readonly number[], b: readonly number[]): Figure {
  return figure(a.map((v, i) => v - b[i]!));
}

/** Collects per-run values of named figures. */
export class Runs {
  readonly #values = new Map<string, number[]>();

  /** Record one run's value of `name`. */
  add(name: string, value: number): void {
    let list = this.#values.get(name);
    if (!list) this.#values.set(name, list = []);
    list.push(value);
  }

  /** Every run's value of `name` (empty if never recorded). */
  values(name: string): number[] {
    return this.#values.get(name) ?? [];
  }

  /** The figure of `name`. */
  get(name: string): Figure {
    return figure(this.values(name));
  }

  /** Every figure by name. */
  all(): Record<string, Figure> {
    const out: Record<string, Figure> = {};
    for (const name of this.#values.keys()) out[name] = this.get(name);
    return out;
  }
}

/** Round to `digits` decimals (for JSON: keeps the report readable). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
