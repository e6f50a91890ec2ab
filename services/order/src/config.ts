import { type ConfigOf, commonSettings, databaseSettings, grpcSettings } from "@shop/platform";

export const configSpec = {
  ...commonSettings("order", 8083),
  ...grpcSettings(50053),
  ...databaseSettings("shop_order"),
};

export type Config = ConfigOf<typeof configSpec>;
