import { databaseKey, type Queryable, type Sql, transactionOf } from "./db.js";

/**
 * "Rows were committed; look at the table": how a writer wakes the worker that processes what it
 * wrote (the outbox relay, the notification dispatcher) within milliseconds of COMMIT.
 *
 * When a listener for the same database runs in this thread, the transaction wakes it in-process
 * right after COMMIT. Otherwise (a writer without a worker in its process, a savepoint, a pool
 * not made by `createSql`) the writer sends a NOTIFY in the transaction, which PostgreSQL
 * delivers at commit to every listening connection, in any process. NOTIFY serialises the
 * commits of notifying transactions on a cluster-wide lock (on this machine it halves the commits
 * per second of one-insert transactions), so the in-process wake is the fast path, and in a
 * service, whose worker shares the pool with its writers, the usual one. Listeners always LISTEN
 * as well, for writers elsewhere.
 */
export function createCommitSignal(channel: string) {
  /** The wake-ups of this thread's listeners, by database (`databaseKey`). */
  const local = new Map<string, Set<() => void>>();
  /** Transactions that already wake the local listeners when they commit. */
  const scheduled = new WeakSet<object>();

  /**
   * Arranges for this thread's listeners on the database of `tx` to be woken once `tx` commits.
   * False when there are none: the caller then sends a NOTIFY on `channel` in the transaction
   * (or calls `signal`, which does both).
   */
  function wakeLocalAfterCommit(tx: Queryable): boolean {
    if (scheduled.has(tx)) return true;
    const txn = transactionOf(tx);
    if (!txn || !local.has(txn.database)) return false;
    scheduled.add(tx);
    txn.afterCommit(() => {
      for (const wake of local.get(txn.database) ?? []) wake();
    });
    return true;
  }

  return {
    wakeLocalAfterCommit,

    /** In a transaction: wakes the listeners once it commits, in-process or by NOTIFY. */
    async signal(tx: Queryable): Promise<void> {
      if (!wakeLocalAfterCommit(tx)) await tx`select pg_notify(${channel}, '')`;
    },

    /** Calls `onSignal` on every commit signalled for the database of `sql`; resolves to the unlisten. */
    async listen(sql: Sql, onSignal: () => void): Promise<() => Promise<void>> {
      const listener = await sql.listen(channel, () => onSignal());
      const database = databaseKey(sql);
      const set = local.get(database) ?? new Set<() => void>();
      local.set(database, set);
      set.add(onSignal);
      return async () => {
        set.delete(onSignal);
        if (set.size === 0 && local.get(database) === set) local.delete(database);
        await listener.unlisten();
      };
    },
  };
}

export type CommitSignal = ReturnType<typeof createCommitSignal>;
