import { type Static, Type } from "typebox";
import { FREE_TEXT } from "../control-characters.js";
import { ListQuery } from "./common.js";

const strict = { additionalProperties: false } as const;
const INT32_MAX = 2_147_483_647;

const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Free text: may hold tab and line feed, unlike every other string the API takes. */
const Description = Type.String({ maxLength: 5000, ...FREE_TEXT });
const PriceCents = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Stock = Type.Integer({ minimum: 0, maximum: INT32_MAX });

export const Product = Type.Object(
  {
    id: Type.String(),
    sku: Type.String(),
    name: Type.String(),
    description: Type.String(),
    priceCents: Type.Integer(),
    currency: Type.String(),
    stock: Type.Integer(),
    version: Type.Integer(),
  },
  { description: "a product; stock is what new orders can take" },
);
export type ProductView = Static<typeof Product>;

export const ProductListQuery = Type.Object(
  { ...ListQuery.properties, q: Type.Optional(Type.String({ maxLength: 200 })) },
  strict,
);

export const CreateProductBody = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    name: Name,
    description: Type.Optional(Description),
    priceCents: PriceCents,
    currency: Type.Optional(Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217, default USD" })),
    stock: Stock,
  },
  strict,
);

export const UpdateProductBody = Type.Object(
  {
    version: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: "the version you read",
    }),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    priceCents: Type.Optional(PriceCents),
    stock: Type.Optional(Stock),
  },
  strict,
);
