import { type Notification, type Page, request } from "../api.js";
import { useSession } from "../auth.js";
import { ErrorNote, Heading, Loading, SignInFirst } from "../components.js";
import { dateTime, statusLabel } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

function Feed() {
  const { data, error } = useLoad(() => request<Page<Notification>>("GET", "/notifications?limit=50"), []);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  if (data.items.length === 0) return <p>Nothing yet.</p>;
  return (
    <ul class="list">
      {data.items.map((n) => (
        <li key={n.id}>
          <strong>{statusLabel(n.type)}</strong>
          {n.orderId !== null ? (
            <>
              {" "}
              for <Link href={`/orders/${n.orderId}`}>order #{n.orderId}</Link>
            </>
          ) : null}
          <span class="muted">
            {" "}
            · {n.channel}, {statusLabel(n.status)} · {dateTime(n.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function NotificationsPage() {
  const session = useSession();
  return (
    <>
      <Heading>Notifications</Heading>
      {session ? <Feed /> : <SignInFirst what="see your notifications" next="/notifications" />}
    </>
  );
}
