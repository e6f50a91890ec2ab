/** What a service's resident memory is made of, from its own Prometheus default metrics. */
export interface MemoryBreakdown {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

const METRICS: Record<keyof MemoryBreakdown, string> = {
  rssMb: "process_resident_memory_bytes",
  heapUsedMb: "nodejs_heap_size_used_bytes",
  heapTotalMb: "nodejs_heap_size_total_bytes",
  externalMb: "nodejs_external_memory_bytes",
};

export function parseMemoryMetrics(text: string): MemoryBreakdown {
  const out = {} as MemoryBreakdown;
  for (const [key, name] of Object.entries(METRICS) as [keyof MemoryBreakdown, string][]) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, "m").exec(text);
    out[key] = m ? Number(m[1]) / 2 ** 20 : Number.NaN;
  }
  return out;
}

/** Reads `GET /metrics` of every service; a service that does not answer is left out. */
export async function readMemoryBreakdown(
  httpPorts: Record<string, number>,
): Promise<Record<string, MemoryBreakdown>> {
  const out: Record<string, MemoryBreakdown> = {};
  await Promise.all(
    Object.entries(httpPorts).map(async ([name, port]) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) out[name] = parseMemoryMetrics(await res.text());
      } catch {
        // left out
      }
    }),
  );
  return out;
}
