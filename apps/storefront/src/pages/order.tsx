import { useEffect, useState } from "preact/hooks";
import { ApiError, type Order, request, type TimelineItem } from "../api.js";
import { useSession } from "../auth.js";
import { ErrorNote, Heading, Loading, SignInFirst, StatusBadge } from "../components.js";
import { dateTime, gap, money, statusLabel, time } from "../format.js";
import { Link } from "../router.js";

const POLL_MS = 1_000;
/** Steps that undo or abandon earlier ones; shown as compensations. */
const COMPENSATION = /fail|cancel|releas|refund|reject|compensat|timeout|timedout|expire/i;

function isTerminal(o: Order | undefined): boolean {
  return o?.status === "PAID" || o?.status === "CANCELLED";
}

type Timeline = { items: TimelineItem[] } | "unavailable" | undefined;

/** Polls the order and its saga timeline until the order is PAID or CANCELLED. */
function useOrderProgress(id: number) {
  const [order, setOrder] = useState<Order>();
  const [timeline, setTimeline] = useState<Timeline>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timelineGone = false;
    // The last steps may be recorded just after the status turns final: look once more.
    let lastLook = false;
    const poll = async () => {
      try {
        const o = await request<Order>("GET", `/orders/${id}`);
        if (!live) return;
        setOrder(o);
        setError(undefined);
        if (!timelineGone) {
          try {
            const t = await request<{ items: TimelineItem[] }>("GET", `/orders/${id}/timeline`);
            if (live) setTimeline(t);
          } catch (err) {
            // A gateway without the timeline route: say so once and keep showing the status.
            if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
              timelineGone = true;
              if (live) setTimeline("unavailable");
            }
          }
        }
        if (isTerminal(o)) {
          if (lastLook || timelineGone) return;
          lastLook = true;
        }
      } catch (err) {
        if (!live) return;
        setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
        if (err instanceof ApiError && err.status === 404) return;
      }
      if (live) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);
  return { order, timeline, error };
}

function TimelineView({ timeline, done }: { timeline: Timeline; done: boolean }) {
  if (timeline === undefined) return <Loading />;
  if (timeline === "unavailable") {
    return <p class="muted">The step-by-step timeline is not available yet; the status above is current.</p>;
  }
  if (timeline.items.length === 0) return <p class="muted">No steps recorded yet.</p>;
  return (
    <ol class="timeline" aria-live="polite">
      {timeline.items.map((step, i) => {
        const prev = timeline.items[i - 1];
        const compensation = COMPENSATION.test(step.type);
        return (
          <li key={`${step.type}-${step.at}`} class={compensation ? "step compensation" : "step"}>
            <span class="step-type">
              {step.type}
              {compensation ? <span class="tag">compensation</span> : null}
            </span>
            <span class="step-service">{step.service}</span>
            <time dateTime={step.at}>{time(step.at)}</time>
            <span class="step-gap">{prev ? gap(Date.parse(step.at) - Date.parse(prev.at)) : "start"}</span>
          </li>
        );
      })}
      {done ? null : (
        <li class="step pending" aria-hidden="true">
          <span class="step-type">…</span>
        </li>
      )}
    </ol>
  );
}

function OrderDetails({ id }: { id: number }) {
  const { order, timeline, error } = useOrderProgress(id);
  if (error && !order) {
    return (
      <>
        <Heading>{error.status === 404 ? "Order not found" : `Order #${id}`}</Heading>
        <ErrorNote error={error.status === 404 ? undefined : error} />
        <Link href="/orders">All orders</Link>
      </>
    );
  }
  if (!order) return <Loading />;
  return (
    <>
      <Heading>Order #{order.id}</Heading>
      <p class="status-line" role="status">
        Status <StatusBadge status={order.status} />
        {order.cancelReason ? <span class="reason"> {order.cancelReason}</span> : null}
        {order.payment ? <span class="muted"> · payment {statusLabel(order.payment.status)}</span> : null}
      </p>
      <ErrorNote error={error} />
      <ul class="list">
        {order.items.map((l) => (
          <li key={l.productId}>
            {l.quantity} × {l.name}{" "}
            <span class="muted">{money(l.unitPriceCents * l.quantity, order.currency)}</span>
          </li>
        ))}
      </ul>
      <p>
        Total <strong>{money(order.totalCents, order.currency)}</strong>
        <span class="muted"> · placed {dateTime(order.createdAt)}</span>
      </p>
      <h2>Saga timeline</h2>
      <TimelineView timeline={timeline} done={isTerminal(order)} />
      <p>
        <Link href="/orders">All orders</Link>
      </p>
    </>
  );
}

export function OrderPage({ id }: { id: number }) {
  const session = useSession();
  if (!session) {
    return (
      <>
        <Heading>Order #{id}</Heading>
        <SignInFirst what="see this order" next={`/orders/${id}`} />
      </>
    );
  }
  return <OrderDetails id={id} />;
}
