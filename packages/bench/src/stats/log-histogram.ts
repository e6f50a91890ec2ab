/**
 * A histogram with logarithmic buckets (each about 2% wider than the last) from 0.01 ms up:
 * recording is O(1) and memory is fixed, so the live progress line can ask for p99 every second
 * without sorting every sample. Percentiles are the upper bound of the bucket that holds them,
 * so they over-state by at most one bucket width (~2%).
 */
export class LogHistogram {
  static readonly GROWTH = 1.02;
  static readonly FLOOR_MS = 0.01;
  private readonly counts: Uint32Array;
  private total = 0;

  constructor(maxMs = 600_000) {
    this.counts = new Uint32Array(LogHistogram.bucketOf(maxMs) + 1);
  }

  static bucketOf(ms: number): number {
    if (!(ms > LogHistogram.FLOOR_MS)) return 0;
    return Math.ceil(Math.log(ms / LogHistogram.FLOOR_MS) / Math.log(LogHistogram.GROWTH));
  }

  static upperBoundOf(bucket: number): number {
    return LogHistogram.FLOOR_MS * LogHistogram.GROWTH ** bucket;
  }

  record(ms: number): void {
    const b = Math.min(LogHistogram.bucketOf(ms), this.counts.length - 1);
    this.counts[b]! += 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  /** Nearest-rank percentile, as the upper bound of its bucket; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return LogHistogram.upperBoundOf(b);
    }
    return LogHistogram.upperBoundOf(this.counts.length - 1);
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
