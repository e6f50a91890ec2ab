import { AppError, type ErrorDetail } from "@shop/platform";

/** Field rules shared by create and update; every violation is reported, not only the first. */
export const limits = {
  skuMax: 64,
  nameMax: 200,
  descriptionMax: 5000,
  stockMax: 2_147_483_647,
  priceMax: Number.MAX_SAFE_INTEGER,
} as const;

const SKU = /^[\x21-\x7e]+$/;
const CURRENCY = /^[A-Z]{3}$/;

export class FieldErrors {
  private readonly errors: ErrorDetail[] = [];

  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  throwIfAny(): void {
    if (this.errors.length > 0) {
      throw AppError.invalid(this.errors.map((e) => `${e.path} ${e.message}`).join("; "), this.errors);
    }
  }
}

export function checkSku(errors: FieldErrors, sku: string): string {
  const value = sku.trim();
  if (value.length < 1 || value.length > limits.skuMax) {
    errors.add("/sku", `must be 1-${limits.skuMax} characters`);
  } else if (!SKU.test(value)) {
    errors.add("/sku", "must be printable ASCII without spaces");
  }
  return value;
}

export function checkName(errors: FieldErrors, name: string): string {
  const value = name.trim();
  if (value.length < 1 || value.length > limits.nameMax) {
    errors.add("/name", `must be 1-${limits.nameMax} characters`);
  }
  return value;
}

export function checkDescription(errors: FieldErrors, description: string): string {
  if (description.length > limits.descriptionMax) {
    errors.add("/description", `must be at most ${limits.descriptionMax} characters`);
  }
  return description;
}

export function checkPrice(errors: FieldErrors, priceCents: number): number {
  if (!Number.isSafeInteger(priceCents) || priceCents < 0) {
    errors.add("/priceCents", "must be an integer >= 0");
  }
  return priceCents;
}

export function checkStock(errors: FieldErrors, stock: number): number {
  if (!Number.isInteger(stock) || stock < 0 || stock > limits.stockMax) {
    errors.add("/stock", "must be an integer >= 0");
  }
  return stock;
}

/** ISO 4217 alphabetic code; absent means USD, lower case is accepted and upper-cased. */
export function checkCurrency(errors: FieldErrors, currency: string | undefined): string {
  const value = (currency ?? "").trim().toUpperCase() || "USD";
  if (!CURRENCY.test(value)) errors.add("/currency", "must be an ISO 4217 code of 3 letters");
  return value;
}
