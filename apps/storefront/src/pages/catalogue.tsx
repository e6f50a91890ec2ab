import { useEffect, useState } from "preact/hooks";
import { type Page, type Product, request } from "../api.js";
import { ErrorNote, Heading, Loading } from "../components.js";
import { money } from "../format.js";
import { Link } from "../router.js";
import { useLoad } from "../use-load.js";

const PAGE_SIZE = 12;

/** Browse and search; cursors of the pages seen so far let "Previous" go back without a reload. */
export function CataloguePage({ query }: { query: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  useEffect(() => setCursors([null]), [query]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, loading } = useLoad(() => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (query) params.set("q", query);
    if (cursor) params.set("cursor", cursor);
    return request<Page<Product>>("GET", `/products?${params}`);
  }, [query, cursor]);

  return (
    <>
      <Heading>{query ? `Results for “${query}”` : "Products"}</Heading>
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data && data.items.length === 0 ? <p>No products found.</p> : null}
      {data ? (
        <ul class="grid" aria-busy={loading}>
          {data.items.map((p) => (
            <li key={p.id} class="card">
              <h2>
                <Link href={`/products/${encodeURIComponent(p.id)}`}>{p.name}</Link>
              </h2>
              <p class="price">{money(p.priceCents, p.currency)}</p>
              <p class="muted">{p.stock > 0 ? `${p.stock} in stock` : "Out of stock"}</p>
            </li>
          ))}
        </ul>
      ) : null}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={!data?.nextCursor}
          onClick={() => data?.nextCursor && setCursors((c) => [...c, data.nextCursor])}
        >
          Next
        </button>
      </nav>
    </>
  );
}
