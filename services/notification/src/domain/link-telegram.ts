import { AppError } from "@shop/platform";
import type { RecipientRepository } from "../data-access/recipient-repository.js";

/** A Telegram chat id: an integer, negative for groups, at most 32 characters. */
const CHAT_ID = /^-?\d+$/;
const MAX_LENGTH = 32;

/** Links the caller's Telegram chat: later order messages also go there. */
export async function linkTelegram(
  recipients: RecipientRepository,
  userId: string,
  rawChatId: string,
): Promise<{ chatId: string; linkedAt: Date }> {
  const chatId = rawChatId.trim();
  if (!CHAT_ID.test(chatId) || chatId.length > MAX_LENGTH) {
    throw AppError.invalid("chatId must be a numeric Telegram chat id", [
      { path: "/chatId", message: "must be an integer string of at most 32 characters" },
    ]);
  }
  const linkedAt = await recipients.linkTelegram(userId, chatId);
  return { chatId, linkedAt };
}
