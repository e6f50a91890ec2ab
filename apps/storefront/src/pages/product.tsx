import { useState } from "preact/hooks";
import { type Product, request } from "../api.js";
import { addToCart } from "../cart.js";
import { ErrorNote, Heading, Loading } from "../components.js";
import { money } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

export function ProductPage({ id }: { id: string }) {
  const { data: p, error } = useLoad(
    () => request<Product>("GET", `/products/${encodeURIComponent(id)}`),
    [id],
  );
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState("");

  if (error) {
    return (
      <>
        <Heading>{error.status === 404 ? "Product not found" : "Product unavailable"}</Heading>
        <ErrorNote error={error.status === 404 ? undefined : error} />
        <p>
          <Link href="/">Back to the products</Link>
        </p>
      </>
    );
  }
  if (!p) return <Loading />;

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    addToCart({ productId: p.id, name: p.name, priceCents: p.priceCents, currency: p.currency }, quantity);
    setAdded(`Added ${quantity} × ${p.name} to the cart.`);
  };
  return (
    <article class="product">
      <Heading>{p.name}</Heading>
      <p class="price">{money(p.priceCents, p.currency)}</p>
      {p.description ? <p>{p.description}</p> : null}
      <p class="muted">
        SKU {p.sku} · {p.stock > 0 ? `${p.stock} in stock` : "Out of stock"}
      </p>
      <form class="row" onSubmit={onSubmit}>
        <label for="qty">Quantity</label>
        <input
          id="qty"
          type="number"
          min={1}
          max={1000}
          value={quantity}
          onInput={(e) => setQuantity(Math.max(1, Number(e.currentTarget.value) || 1))}
        />
        <button type="submit" class="primary" disabled={p.stock < 1}>
          Add to cart
        </button>
      </form>
      <p role="status" class="ok">
        {added}
        {added ? (
          <>
            {" "}
            <Link href="/cart">View cart</Link>
          </>
        ) : null}
      </p>
    </article>
  );
}
