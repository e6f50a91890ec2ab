/**
 * Redis pub/sub channel on which the product service announces every change to a product (an
 * edit, a delete, a reservation, a release, a sale) as "<version>|<id>", with the version the
 * change produced. Readers that keep products in memory (the gateway) drop what is older.
 * Pub/sub is at most once: a subscriber that loses its connection must forget everything it holds.
 */
export const PRODUCT_CHANGES_CHANNEL = "product:v1:changes";

/**
 * The channel beside `changesChannel` on which the product service announces, in the same form,
 * only the changes to what a product is and costs (an edit, a delete), not its stock moves. A
 * reader that keeps no stock figures (the order service's prices) subscribes here, and so keeps
 * its entries while the saga reserves and sells.
 */
export function catalogChangesChannel(changesChannel: string): string {
  return `${changesChannel}:catalog`;
}

export interface ProductChange {
  id: string;
  version: number;
}

export function formatProductChange(change: ProductChange): string {
  return `${change.version}|${change.id}`;
}

/** The change a message announces, or undefined for one that is not of this form. */
export function parseProductChange(message: string): ProductChange | undefined {
  const sep = message.indexOf("|");
  if (sep <= 0 || sep === message.length - 1) return undefined;
  const version = Number(message.slice(0, sep));
  if (!Number.isSafeInteger(version) || version < 0) return undefined;
  return { id: message.slice(sep + 1), version };
}
