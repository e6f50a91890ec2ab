/**
 * The payment simulation: which charges fail (PAYMENT_FAILURE_MODE).
 * - `even-order-id` (default): a charge fails exactly when the order id is even.
 * - `none`: no charge fails.
 * - `random:<p>`: each charge fails with probability p, 0 <= p <= 1.
 */
export type FailurePolicy =
  | { mode: "even-order-id" }
  | { mode: "none" }
  | { mode: "random"; probability: number };

export const FAILURE_MODE_HINT = "must be even-order-id, none or random:<p> with 0 <= p <= 1";

/** Parses the setting; throws an Error saying what is allowed (the config loader names the variable). */
export function parseFailurePolicy(raw: string): FailurePolicy {
  const value = raw.trim();
  if (value === "even-order-id" || value === "none") return { mode: value };
  const random = /^random:(.+)$/.exec(value);
  if (random) {
    const p = Number(random[1]);
    if (random[1]!.trim() !== "" && Number.isFinite(p) && p >= 0 && p <= 1) {
      return { mode: "random", probability: p };
    }
  }
  throw new Error(FAILURE_MODE_HINT);
}

/** Whether the charge of `orderId` fails; `random` returns a number in [0, 1). */
export function chargeFails(
  policy: FailurePolicy,
  orderId: number,
  random: () => number = Math.random,
): boolean {
  switch (policy.mode) {
    case "even-order-id":
      return orderId % 2 === 0;
    case "none":
      return false;
    case "random":
      return random() < policy.probability;
  }
}

export function describeFailure(policy: FailurePolicy): string {
  switch (policy.mode) {
    case "even-order-id":
      return "card declined (simulated: even order id)";
    case "random":
      return `card declined (simulated: random, p=${policy.probability})`;
    case "none":
      return "card declined";
  }
}
