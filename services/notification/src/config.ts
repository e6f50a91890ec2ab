import { type ConfigOf, commonSettings, databaseSettings, grpcSettings } from "@shop/platform";

export const configSpec = {
  ...commonSettings("notification", 8085),
  ...grpcSettings(50055),
  ...databaseSettings("shop_notification"),
};

export type Config = ConfigOf<typeof configSpec>;
