import { type ConfigOf, commonSettings, databaseSettings, grpcSettings } from "@shop/platform";

export const configSpec = {
  ...commonSettings("product", 8082),
  ...grpcSettings(50052),
  ...databaseSettings("shop_product"),
};

export type Config = ConfigOf<typeof configSpec>;
