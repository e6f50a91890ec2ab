/**
 * Shares one run of `task` among the callers that ask while a run is in flight. A caller never
 * joins a run that has already started, since that run may not cover what the caller prepared:
 * it waits for the next one, which starts as soon as the current one ends and serves everyone
 * who asked in the meantime. So there are at most two runs at a time, one running and one queued.
 *
 * The consumer commits offsets this way: the batches of several partitions that finish together
 * send one OffsetCommit, with every offset resolved by then, instead of one request each
 * (a broker answers one connection's requests in order, so each commit waited for the last).
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function start(): Promise<void> {
    const run = task().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  }
  return () => {
    if (!running) return start();
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined;
        // A run started after this one was queued covers its callers too.
        return running ?? start();
      });
    return queued;
  };
}
