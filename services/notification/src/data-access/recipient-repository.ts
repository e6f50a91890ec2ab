import type { Queryable, Sql } from "@shop/platform";

/** The local projection of a user: where their messages go. */
export interface Recipient {
  userId: string;
  email: string | null;
  telegramChatId: string | null;
  telegramLinkedAt: Date | null;
}

export function createRecipientRepository(sql: Sql) {
  return {
    async find(userId: string, tx: Queryable = sql): Promise<Recipient | undefined> {
      const [row] = await tx<Recipient[]>`
        select user_id as "userId", email, telegram_chat_id as "telegramChatId",
               telegram_linked_at as "telegramLinkedAt"
        from recipients where user_id = ${userId}
      `;
      return row;
    },

    async saveEmail(userId: string, email: string, tx: Queryable = sql): Promise<void> {
      await tx`
        insert into recipients (user_id, email) values (${userId}, ${email})
        on conflict (user_id) do update set email = excluded.email, updated_at = now()
      `;
    },

    /** Links (or re-links) the user's Telegram chat; returns when it was linked. */
    async linkTelegram(userId: string, chatId: string, tx: Queryable = sql): Promise<Date> {
      const [row] = await tx<{ linkedAt: Date }[]>`
        insert into recipients (user_id, telegram_chat_id, telegram_linked_at)
        values (${userId}, ${chatId}, now())
        on conflict (user_id) do update
          set telegram_chat_id = excluded.telegram_chat_id,
              telegram_linked_at = excluded.telegram_linked_at,
              updated_at = now()
        returning telegram_linked_at as "linkedAt"
      `;
      return row!.linkedAt;
    },
  };
}

export type RecipientRepository = ReturnType<typeof createRecipientRepository>;
