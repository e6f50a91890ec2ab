import postgres from "postgres";

export interface WaitSample {
  service: string;
  /** `<wait_event_type>:<wait_event>` or `cpu` when the backend is running. */
  wait: string;
  state: string;
  query: string;
  /** Share of samples of that service's connections. */
  share: number;
  count: number;
}

/**
 * Samples pg_stat_activity of the services' databases every `intervalMs`: what each backend
 * is doing (running, waiting on a lock, waiting on the client in a transaction...) tells whether
 * the database, its locks, or the services themselves hold a saga up.
 */
export function startDbWaitSampler(serverUrl: string, databases: Record<string, string>, intervalMs = 100) {
  const sql = postgres(`${serverUrl}/postgres`, { max: 1, onnotice: () => {} });
  const byDb = new Map(
    Object.entries(databases).map(([service, url]) => [new URL(url).pathname.slice(1), service]),
  );
  const counts = new Map<string, number>();
  const totals = new Map<string, number>();
  let busy = false;
  let failures = 0;
  let lastError = "";
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const rows = await sql<{ datname: string; wait: string; state: string; query: string }[]>`
        select datname, coalesce(wait_event_type || ':' || wait_event, 'cpu') as wait, coalesce(state, '') as state,
          left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 60) as query
        from pg_stat_activity
        where datname = any(${[...byDb.keys()]}) and pid <> pg_backend_pid()
          and not (state = 'idle' and wait_event = 'ClientRead')
      `;
      for (const r of rows) {
        const service = byDb.get(r.datname)!;
        const key = `${service}\u0000${r.wait}\u0000${r.state}\u0000${r.query.trim()}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        totals.set(service, (totals.get(service) ?? 0) + 1);
      }
    } catch (err) {
      // A missed sample changes little; the report says how many were missed and why.
      failures += 1;
      lastError = (err as Error).message;
    } finally {
      busy = false;
    }
  }, intervalMs);
  return {
    /** Samples that failed, and the last reason (e.g. the server out of connections). */
    failures: () => ({ failures, lastError }),
    async stop(top = 6): Promise<WaitSample[]> {
      clearInterval(timer);
      await sql.end({ timeout: 5 });
      const out: WaitSample[] = [];
      for (const [key, count] of counts) {
        const [service, wait, state, query] = key.split("\u0000") as [string, string, string, string];
        out.push({ service, wait, state, query, count, share: count / (totals.get(service) ?? 1) });
      }
      const ranked: WaitSample[] = [];
      for (const service of new Set(out.map((o) => o.service))) {
        ranked.push(
          ...out
            .filter((o) => o.service === service)
            .sort((a, b) => b.count - a.count)
            .slice(0, top),
        );
      }
      return ranked;
    },
  };
}
