import { useEffect, useState } from "preact/hooks";

/** The cart holds no secret, so it may outlive a reload in localStorage. */
export interface CartLine {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  quantity: number;
}

const KEY = "shop.cart";
const listeners = new Set<() => void>();

function read(): CartLine[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function write(lines: CartLine[]): void {
  localStorage.setItem(KEY, JSON.stringify(lines));
  for (const l of listeners) l();
}

export function addToCart(line: Omit<CartLine, "quantity">, quantity: number): void {
  const lines = read();
  const existing = lines.find((l) => l.productId === line.productId);
  if (existing) existing.quantity = Math.min(1000, existing.quantity + quantity);
  else lines.push({ ...line, quantity });
  write(lines);
}

export function setQuantity(productId: string, quantity: number): void {
  write(
    read()
      .map((l) => (l.productId === productId ? { ...l, quantity } : l))
      .filter((l) => l.quantity > 0),
  );
}

export function clearCart(): void {
  write([]);
}

export function useCart(): CartLine[] {
  const [lines, setLines] = useState(read);
  useEffect(() => {
    const update = () => setLines(read());
    listeners.add(update);
    // Another tab changed it.
    const onStorage = (e: StorageEvent) => e.key === KEY && update();
    window.addEventListener("storage", onStorage);
    return () => {
      listeners.delete(update);
      window.removeEventListener("storage", onStorage);
    };
  }, []);
  return lines;
}
