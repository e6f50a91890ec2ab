import { describe, expect, it } from "vitest";
import { formatMoney } from "../src/domain/record-deps.js";

describe("formatMoney", () => {
  it("when amounts in several currencies are formatted in turn, then each uses its own symbol and minor digits", () => {
    const asked = [
      [1234, "USD", "$12.34"],
      [500, "EUR", "€5.00"],
      [1234, "JPY", "¥1,234"],
      [1234, "KWD", "KWD 1.234"],
      [99, "USD", "$0.99"],
      [123_456_789, "EUR", "€1,234,567.89"],
      [7, "JPY", "¥7"],
    ] as const;
    // Twice, so the second round runs on the formatters the first one built.
    for (const round of [1, 2]) {
      for (const [cents, currency, text] of asked) {
        expect(formatMoney(cents, currency).replace(/\u00a0/g, " "), `${currency} round ${round}`).toBe(text);
      }
    }
  });

  it("when the currency code is not well formed, then it throws like Intl does", () => {
    expect(() => formatMoney(100, "US")).toThrow(RangeError);
  });
});
