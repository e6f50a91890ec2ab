import { metricValue, readServicesMetrics } from "./service-metrics.js";

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
    const v = metricValue(text, name);
    out[key] = v === undefined ? Number.NaN : v / 2 ** 20;
  }
  return out;
}

/** Reads `GET /metrics` of every service; a service that does not answer is left out. */
export async function readMemoryBreakdown(
  httpPorts: Record<string, number>,
): Promise<Record<string, MemoryBreakdown>> {
  const texts = await readServicesMetrics(httpPorts);
  return Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, parseMemoryMetrics(text)]));
}
