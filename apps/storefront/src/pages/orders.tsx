import { type Order, type Page, request } from "../api.js";
import { useSession } from "../auth.js";
import { ErrorNote, Heading, Loading, SignInFirst, StatusBadge } from "../components.js";
import { dateTime, money } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

function OrderList() {
  const { data, error } = useLoad(() => request<Page<Order>>("GET", "/orders?limit=50"), []);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  if (data.items.length === 0) return <p>No orders yet.</p>;
  return (
    <ul class="list">
      {data.items.map((o) => (
        <li key={o.id}>
          <Link href={`/orders/${o.id}`}>Order #{o.id}</Link> <StatusBadge status={o.status} />
          <span class="muted">
            {" "}
            {money(o.totalCents, o.currency)} · {dateTime(o.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function OrdersPage() {
  const session = useSession();
  return (
    <>
      <Heading>Your orders</Heading>
      {session ? <OrderList /> : <SignInFirst what="see your orders" next="/orders" />}
    </>
  );
}
