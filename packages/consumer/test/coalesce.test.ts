import { describe, expect, it } from "vitest";
import { coalesce } from "../src/coalesce.js";

/** A task whose runs stay pending until released, one by one. */
function gatedTask() {
  const releases: ((err?: Error) => void)[] = [];
  let runs = 0;
  const run = () => {
    runs += 1;
    return new Promise<void>((resolve, reject) => releases.push((err) => (err ? reject(err) : resolve())));
  };
  return { run, runs: () => runs, release: (err?: Error) => releases.shift()!(err) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("coalesce", () => {
  it("when nothing runs, then a request starts a run at once", async () => {
    const task = gatedTask();
    const request = coalesce(task.run);
    const done = request();
    expect(task.runs()).toBe(1);
    task.release();
    await expect(done).resolves.toBeUndefined();
  });

  it("when requests arrive while a run is in flight, then they share one run that starts after it", async () => {
    const task = gatedTask();
    const request = coalesce(task.run);
    const first = request();
    const later = [request(), request(), request()];
    await settle();
    expect(task.runs()).toBe(1);
    let laterDone = false;
    void Promise.all(later).then(() => (laterDone = true));
    task.release();
    await first;
    await settle();
    // The first run may have missed what the later callers had ready: they wait for a run of their own.
    expect(task.runs()).toBe(2);
    expect(laterDone).toBe(false);
    task.release();
    await Promise.all(later);
    expect(task.runs()).toBe(2);
  });

  it("when a run fails, then its callers see the error and the queued run still starts", async () => {
    const task = gatedTask();
    const request = coalesce(task.run);
    const first = request();
    const second = request();
    task.release(new Error("coordinator moved"));
    await expect(first).rejects.toThrow("coordinator moved");
    await settle();
    expect(task.runs()).toBe(2);
    task.release();
    await expect(second).resolves.toBeUndefined();
    const third = request();
    expect(task.runs()).toBe(3);
    task.release();
    await third;
  });
});
