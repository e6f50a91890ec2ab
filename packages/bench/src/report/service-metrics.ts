/** Reading the services' Prometheus text (`GET /metrics`) for the report. */

/** A service's /metrics text; undefined when it does not answer. */
export async function readMetricsText(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Every service's /metrics text by name; a service that does not answer is left out. */
export async function readServicesMetrics(
  httpPorts: Record<string, number>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    Object.entries(httpPorts).map(async ([name, port]) => {
      const text = await readMetricsText(`http://127.0.0.1:${port}`);
      if (text !== undefined) out[name] = text;
    }),
  );
  return out;
}

/** A sample's labels and value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** The `key="value"` pairs of a label set (the text between a sample's braces). */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
  return labels;
}

/** Every sample of `name` (exactly that name, so `x_sum` is not a sample of `x`), with its labels. */
export function metricSamples(text: string, name: string): MetricSample[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const line = new RegExp(`^${escaped}(?:\\{([^}]*)\\})? ([0-9.e+-]+|NaN|\\+Inf)(?: -?\\d+)?$`, "gm");
  return [...text.matchAll(line)].map((m) => ({ labels: parseLabels(m[1] ?? ""), value: Number(m[2]) }));
}

/**
 * The value of the first sample of `name` whose labels contain `labels` (e.g. `le="0"`), or
 * undefined when there is none.
 */
export function metricValue(text: string, name: string, labels = ""): number | undefined {
  const wanted = Object.entries(parseLabels(labels));
  return metricSamples(text, name).find((s) => wanted.every(([k, v]) => s.labels[k] === v))?.value;
}
