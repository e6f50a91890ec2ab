import type { ApiClient } from "./api-client.js";
import type { EventAudit } from "./event-audit.js";
import type { Observer } from "./observer.js";
import type { Shop } from "./seed.js";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const MAX_LISTED = 5;
const list = (xs: string[]) =>
  xs.length <= MAX_LISTED
    ? xs.join("; ")
    : `${xs.slice(0, MAX_LISTED).join("; ")}; ... (${xs.length} in all)`;
const check = (name: string, problems: string[], okDetail: string): Check => ({
  name,
  ok: problems.length === 0,
  detail: problems.length === 0 ? okDetail : list(problems),
});

/** Every order is PAID or CANCELLED. */
async function ordersTerminal(o: Observer): Promise<Check> {
  const rows = await o.db("order")`
    select status, count(*)::int as n from orders group by status order by status`;
  const counts = Object.fromEntries(rows.map((r) => [r.status as string, r.n as number]));
  const open = rows.filter((r) => r.status !== "PAID" && r.status !== "CANCELLED");
  return check(
    "every order PAID or CANCELLED",
    open.map((r) => `${r.n} orders ${r.status}`),
    JSON.stringify(counts),
  );
}

/** initial = stock + reserved + sold; nothing left reserved; sold = units in PAID orders. */
async function stockConserved(o: Observer, shop: Shop): Promise<Check[]> {
  const products = await o.db("product")`
    select id::text, stock, reserved, sold from products where id = any(${shop.products.map((p) => p.id)}::uuid[])`;
  const paid = await o.db("order")`
    select l.product_id, sum(l.quantity)::int as units
    from order_lines l join orders o on o.id = l.order_id
    where o.status = 'PAID' group by l.product_id`;
  const paidUnits = new Map(paid.map((r) => [r.product_id as string, r.units as number]));
  const byId = new Map(products.map((p) => [p.id as string, p]));
  const conservation: string[] = [];
  const sold: string[] = [];
  let totalSold = 0;
  for (const p of shop.products) {
    const row = byId.get(p.id);
    if (!row) {
      conservation.push(`product ${p.id} missing`);
      continue;
    }
    const sum = row.stock + row.reserved + row.sold;
    if (sum !== p.initialStock || row.reserved !== 0)
      conservation.push(
        `${p.id}: initial ${p.initialStock} != stock ${row.stock} + reserved ${row.reserved} + sold ${row.sold}`,
      );
    if (row.sold !== (paidUnits.get(p.id) ?? 0))
      sold.push(`${p.id}: sold ${row.sold}, PAID orders hold ${paidUnits.get(p.id) ?? 0}`);
    totalSold += row.sold;
  }
  const [held] = await o.db("product")`
    select count(*)::int as n from order_reservations where status = 'RESERVED'`;
  if (held!.n > 0) conservation.push(`${held!.n} reservations still RESERVED`);
  return [
    check(
      "initial = stock + reserved + sold, nothing left reserved",
      conservation,
      `${shop.products.length} products`,
    ),
    check("sold = units in PAID orders", sold, `${totalSold} units sold`),
  ];
}

/** One successful charge per PAID order, of its total; none kept by a CANCELLED order. */
async function paymentsConsistent(o: Observer): Promise<Check[]> {
  const orders = await o.db("order")`select id::int, status, total_cents::int from orders`;
  const payments = await o.db("payment")`
    select order_id::int, status, amount_cents::int, count(*) over (partition by order_id)::int as copies
    from payments`;
  const byOrder = new Map(payments.map((p) => [p.order_id as number, p]));
  const twice = payments.filter((p) => p.copies > 1).map((p) => `order ${p.order_id}: ${p.copies} payments`);
  const paidWrong: string[] = [];
  const cancelledCharged: string[] = [];
  let refunded = 0;
  for (const order of orders) {
    const p = byOrder.get(order.id);
    if (order.status === "PAID" && (p?.status !== "SUCCEEDED" || p.amount_cents !== order.total_cents))
      paidWrong.push(
        `PAID order ${order.id}: payment ${p ? `${p.status} ${p.amount_cents}` : "none"}, total ${order.total_cents}`,
      );
    if (order.status === "CANCELLED" && p?.status === "SUCCEEDED")
      cancelledCharged.push(`CANCELLED order ${order.id} keeps a SUCCEEDED payment`);
    if (p?.status === "REFUNDED") refunded += 1;
  }
  const known = new Set(orders.map((r) => r.id as number));
  const orphans = payments
    .filter((p) => !known.has(p.order_id))
    .map((p) => `payment for unknown order ${p.order_id}`);
  return [
    check("at most one payment per order", [...twice, ...orphans], `${payments.length} payments`),
    check("every PAID order charged once, its total", paidWrong, "ok"),
    check("no CANCELLED order keeps a charge", cancelledCharged, `${refunded} refunded`),
  ];
}

/** Every committed outbox row published, none parked, in every service database. */
async function outboxDrained(o: Observer): Promise<Check> {
  const backlog = await o.outboxBacklog();
  const problems = Object.entries(backlog).flatMap(([s, b]) => [
    ...(b.pending > 0 ? [`${s}: ${b.pending} unpublished`] : []),
    ...(b.parked > 0 ? [`${s}: ${b.parked} parked`] : []),
  ]);
  return check("every outbox row published, none parked", problems, "ok");
}

async function noLag(o: Observer): Promise<Check> {
  const lag = await o.consumerLag();
  return check(
    "no message stuck (consumer lag 0)",
    Object.entries(lag)
      .filter(([, n]) => n > 0)
      .map(([g, n]) => `${g}: ${n} behind`),
    "ok",
  );
}

async function noDeadLetters(o: Observer): Promise<Check> {
  const counts = await o.deadLetterCounts();
  return check(
    "no dead letters",
    Object.entries(counts).map(([g, n]) => `${n} in ${o.prefix}shop.dlq.${g}`),
    "none",
  );
}

function eventsSound(audit: EventAudit): Check[] {
  return [
    check(
      "no event published twice with different content",
      audit.conflictingCopies,
      `${audit.distinctEvents} events, ${audit.duplicateCopies} duplicate copies`,
    ),
    check("no event applied twice (one outcome event per order and step)", audit.doubleEffects, "ok"),
  ];
}

/** The public API agrees with the databases: product stock (cache included) and order status. */
async function apiAgreesOnce(o: Observer, api: ApiClient, shop: Shop, sampleOrders: number[]) {
  const problems: string[] = [];
  const stock = await o.db("product")`
    select id::text, stock from products where id = any(${shop.products.map((p) => p.id)}::uuid[])`;
  for (const row of stock) {
    const res = await api.call("GET", `/api/v1/products/${row.id}`);
    if (res.status !== 200 || res.body.stock !== row.stock)
      problems.push(`product ${row.id}: API ${res.status} stock ${res.body?.stock}, database ${row.stock}`);
  }
  const statuses = await o.db(
    "order",
  )`select id::int, status from orders where id = any(${sampleOrders}::bigint[])`;
  for (const row of statuses) {
    const res = await api.call("GET", `/api/v1/orders/${row.id}`, { token: shop.adminToken });
    if (res.status !== 200 || res.body.status !== row.status)
      problems.push(`order ${row.id}: API ${res.status} ${res.body?.status ?? ""}, database ${row.status}`);
  }
  return { problems, detail: `${stock.length} products, ${statuses.length} orders` };
}

/**
 * Asked again for a while: right after a fault the gateway's circuit to a restarted service may
 * still be open (it fails fast for CIRCUIT_BREAKER_HALF_OPEN_AFTER_MS), which is by design.
 */
async function apiAgrees(
  o: Observer,
  api: ApiClient,
  shop: Shop,
  sampleOrders: number[],
  patienceMs: number,
): Promise<Check> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const { problems, detail } = await apiAgreesOnce(o, api, shop, sampleOrders);
    if (problems.length === 0 || Date.now() > deadline)
      return check("the API shows what the databases hold", problems, detail);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** A probe that keeps failing (a database still refusing connections) is a failed check, not a crash. */
async function retried<T extends Check | Check[]>(name: string, probe: () => Promise<T>): Promise<Check[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await probe();
      return Array.isArray(result) ? result : [result];
    } catch (err) {
      if (attempt >= 3) return [{ name, ok: false, detail: `could not check: ${(err as Error).message}` }];
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

export async function checkInvariants(args: {
  observer: Observer;
  api: ApiClient;
  shop: Shop;
  audit: EventAudit;
  sampleOrders: number[];
  idempotencyViolations: string[];
  /** How long the API may take to agree (an open circuit after a fault). */
  apiPatienceMs?: number;
}): Promise<Check[]> {
  const { observer: o } = args;
  return [
    ...(await retried("every order PAID or CANCELLED", () => ordersTerminal(o))),
    ...(await retried("stock", () => stockConserved(o, args.shop))),
    ...(await retried("payments", () => paymentsConsistent(o))),
    ...(await retried("outbox", () => outboxDrained(o))),
    ...(await retried("consumer lag", () => noLag(o))),
    ...(await retried("dead letters", () => noDeadLetters(o))),
    ...eventsSound(args.audit),
    check("an Idempotency-Key always gives the same order", args.idempotencyViolations, "ok"),
    ...(await retried("API", () =>
      apiAgrees(o, args.api, args.shop, args.sampleOrders, args.apiPatienceMs ?? 20_000),
    )),
  ];
}
