import { type ConfigOf, commonSettings, databaseSettings, grpcSettings } from "@shop/platform";

export const configSpec = {
  ...commonSettings("payment", 8084),
  ...grpcSettings(50054),
  ...databaseSettings("shop_payment"),
};

export type Config = ConfigOf<typeof configSpec>;
