export function money(cents: number, currency = "USD"): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour12: false, fractionalSecondDigits: 3 });
}

/** "+120 ms", "+1.4 s", "+2 min": the wait between two saga steps. */
export function gap(ms: number): string {
  if (ms < 1000) return `+${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)} s`;
  return `+${Math.round(ms / 60_000)} min`;
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ").toLowerCase();
}

/** A v4 UUID; `crypto.randomUUID` exists only in secure contexts (HTTPS or localhost). */
export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
