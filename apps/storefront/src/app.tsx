import { useEffect } from "preact/hooks";
import { logOut } from "./api.js";
import { useSession } from "./auth.js";
import { useCart } from "./cart.js";
import { Heading } from "./components.js";
import { CartPage } from "./pages/cart.js";
import { CataloguePage } from "./pages/catalogue.js";
import { LoginPage, SignUpPage } from "./pages/login.js";
import { NotificationsPage } from "./pages/notifications.js";
import { OrderPage } from "./pages/order.js";
import { OrdersPage } from "./pages/orders.js";
import { ProductPage } from "./pages/product.js";
import { Link, navigate, useLocation } from "./router.js";

function Page({ url }: { url: URL }) {
  const path = url.pathname;
  if (path === "/") return <CataloguePage query={url.searchParams.get("q") ?? ""} />;
  const product = /^\/products\/([^/]+)$/.exec(path);
  if (product) return <ProductPage id={decodeURIComponent(product[1]!)} />;
  if (path === "/cart") return <CartPage />;
  if (path === "/orders") return <OrdersPage />;
  const order = /^\/orders\/(\d+)$/.exec(path);
  if (order) return <OrderPage id={Number(order[1])} />;
  if (path === "/notifications") return <NotificationsPage />;
  const next = url.searchParams.get("next") ?? "/";
  if (path === "/login") return <LoginPage next={next} />;
  if (path === "/signup") return <SignUpPage next={next} />;
  return (
    <>
      <Heading>Page not found</Heading>
      <p>
        <Link href="/">Back to the shop</Link>
      </p>
    </>
  );
}

function SearchForm({ query }: { query: string }) {
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget as HTMLFormElement).get("q") ?? "").trim();
    navigate(q ? `/?q=${encodeURIComponent(q)}` : "/");
  };
  return (
    <search>
      <form class="search" action="/" method="get" onSubmit={onSubmit}>
        <label for="search-q" class="visually-hidden">
          Search products
        </label>
        <input id="search-q" name="q" type="search" placeholder="Search products" value={query} />
        <button type="submit">Search</button>
      </form>
    </search>
  );
}

export function App() {
  const url = useLocation();
  const session = useSession();
  const cart = useCart();
  const count = cart.reduce((n, l) => n + l.quantity, 0);

  // After a navigation, move focus to the new page's heading (not on the first load).
  useEffect(() => {
    if (document.activeElement && document.activeElement !== document.body) {
      document.querySelector<HTMLElement>("main h1")?.focus();
    }
  }, [url.pathname]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          shop-saga
        </Link>
        <SearchForm query={url.pathname === "/" ? (url.searchParams.get("q") ?? "") : ""} />
        <nav aria-label="Main">
          <Link href="/cart">Cart ({count})</Link>
          {session ? (
            <>
              <Link href="/orders">Orders</Link>
              <Link href="/notifications">Notifications</Link>
              <span class="who">{session.email}</span>
              <button type="button" class="link-button" onClick={() => logOut().then(() => navigate("/"))}>
                Log out
              </button>
            </>
          ) : (
            <>
              <Link href="/login">Log in</Link>
              <Link href="/signup">Sign up</Link>
            </>
          )}
        </nav>
      </header>
      <main id="main">
        <Page url={url} />
      </main>
    </>
  );
}
