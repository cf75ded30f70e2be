/**
 * Recent request latencies for status: a bounded ring of (finish time,
 * duration) samples, summarised as a rate over the last 10 s (what is
 * happening now) and p50/p99 over the last minute (enough samples to mean
 * something).
 * Recording is O(1) and allocation-free on the hot path. Pure.
 *
 * @module
 */

/** How far back the percentiles look, ms. */
export const METRICS_WINDOW_MS = 60_000;
/** How far back the rate looks, ms. */
export const RATE_WINDOW_MS = 10_000;
/** Most samples kept (the oldest are overwritten). */
export const METRICS_SAMPLES = 4096;

/** Request rate and latency percentiles over the recent window. */
export interface LatencySummary {
  /** Answers per second over the last 10 s ({@link RATE_WINDOW_MS}). */
  ratePerSecond: number;
  /** Median latency, ms (`null` with no samples). */
  p50Ms: number | null;
  /** 99th percentile latency, ms (`null` with no samples). */
  p99Ms: number | null;
  /** Answers counted in the percentiles' window (the last minute). */
  count: number;
}

/** A ring buffer of recent request durations. */
export class LatencyWindow {
  readonly #finished = new Float64Array(METRICS_SAMPLES);
  readonly #durations = new Float64Array(METRICS_SAMPLES);
  #next = 0;
  #size = 0;
  #total = 0;

  /** Answers recorded since start. */
  get total(): number {
    return this.#total;
  }

  /** Record one answered request. */
  record(finishedAt: number, durationMs: number): void {
    this.#finished[this.#next] = finishedAt;
    this.#durations[this.#next] = durationMs;
    this.#next = (this.#next + 1) % METRICS_SAMPLES;
    if (this.#size < METRICS_SAMPLES) this.#size++;
    this.#total++;
  }

  /**
   * Summarise the samples finished before `now`: percentiles over `windowMs`
   * (default: the last minute), the rate over the last 10 s of it.
   */
  summary(now: number, windowMs: number = METRICS_WINDOW_MS): LatencySummary {
    const rateWindow = Math.min(RATE_WINDOW_MS, windowMs);
    const recent: number[] = [];
    let oldest = now;
    let lately = 0;
    for (let i = 0; i < this.#size; i++) {
      const finished = this.#finished[i]!;
      if (finished <= now - windowMs) continue;
      recent.push(this.#durations[i]!);
      if (finished < oldest) oldest = finished;
      if (finished > now - rateWindow) lately++;
    }
    if (recent.length === 0) return { ratePerSecond: 0, p50Ms: null, p99Ms: null, count: 0 };
    recent.sort((a, b) => a - b);
    const pick = (q: number) => recent[Math.min(recent.length - 1, Math.floor(q * recent.length))]!;
    // Over the full rate window, unless the ring is full and its samples span less.
    const full = this.#size >= METRICS_SAMPLES;
    const spanMs = full ? Math.min(rateWindow, Math.max(1, now - oldest)) : rateWindow;
    return {
      ratePerSecond: Math.round((lately / spanMs) * 1000 * 100) / 100,
      p50Ms: Math.round(pick(0.5) * 100) / 100,
      p99Ms: Math.round(pick(0.99) * 100) / 100,
      count: recent.length,
    };
  }
}
