import { useRef, useState } from "preact/hooks";
import { ApiError, type Order, request } from "../api.js";
import { useSession } from "../auth.js";
import { type CartLine, clearCart, setQuantity, useCart } from "../cart.js";
import { ErrorNote, Heading, SignInFirst } from "../components.js";
import { money, uuid } from "../format.js";
import { Link, navigate } from "../router.js";

function signature(lines: CartLine[]): string {
  return lines.map((l) => `${l.productId}:${l.quantity}`).join(",");
}

export function CartPage() {
  const lines = useCart();
  const session = useSession();
  const [error, setError] = useState<ApiError>();
  const [placing, setPlacing] = useState(false);
  // One Idempotency-Key per checkout attempt: a second click, or a retry after a lost answer,
  // sends the same key and gets the same order. A changed cart is a new attempt.
  const attempt = useRef<{ key: string; cart: string } | null>(null);
  const total = lines.reduce((n, l) => n + l.priceCents * l.quantity, 0);

  const checkout = async () => {
    const cart = signature(lines);
    if (attempt.current?.cart !== cart) attempt.current = { key: uuid(), cart };
    setPlacing(true);
    setError(undefined);
    try {
      const order = await request<Order>("POST", "/orders", {
        body: { items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) },
        headers: { "idempotency-key": attempt.current.key },
      });
      clearCart();
      navigate(`/orders/${order.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setPlacing(false);
    }
  };

  if (lines.length === 0) {
    return (
      <>
        <Heading>Cart</Heading>
        <p>
          Your cart is empty. <Link href="/">Browse products</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <Heading>Cart</Heading>
      <table class="lines">
        <caption class="visually-hidden">Products in the cart</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col" class="num">
              Price
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.productId}>
              <td>
                <Link href={`/products/${encodeURIComponent(l.productId)}`}>{l.name}</Link>
              </td>
              <td>
                <label class="visually-hidden" for={`qty-${l.productId}`}>
                  Quantity of {l.name}
                </label>
                <input
                  id={`qty-${l.productId}`}
                  class="qty"
                  type="number"
                  min={1}
                  max={1000}
                  value={l.quantity}
                  onChange={(e) => setQuantity(l.productId, Math.max(1, Number(e.currentTarget.value) || 1))}
                />
              </td>
              <td class="num">{money(l.priceCents * l.quantity, l.currency)}</td>
              <td>
                <button type="button" class="link-button" onClick={() => setQuantity(l.productId, 0)}>
                  Remove<span class="visually-hidden"> {l.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              Total
            </th>
            <td class="num total">{money(total, lines[0]?.currency)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      <ErrorNote error={error} />
      {session ? (
        <button type="button" class="primary" onClick={checkout} disabled={placing}>
          {placing ? "Placing order…" : "Place order"}
        </button>
      ) : (
        <SignInFirst what="place your order" next="/cart" />
      )}
    </>
  );
}
