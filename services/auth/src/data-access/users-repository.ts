import type { Queryable, Sql } from "@shop/platform";

export type Role = "customer" | "admin";

export interface UserRow {
  id: string;
  email: string;
  passwordHash: string;
  role: Role;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}

export function createUsersRepository(sql: Sql) {
  const columns = sql`
    id, email, password_hash as "passwordHash", role, email_verified_at as "emailVerifiedAt",
    created_at as "createdAt"
  `;

  return {
    /** The new user, or undefined when the email is taken. */
    async insert(
      user: { email: string; passwordHash: string; role: Role; emailVerified: boolean },
      tx: Queryable = sql,
    ): Promise<UserRow | undefined> {
      const rows = await tx<UserRow[]>`
        insert into users (email, password_hash, role, email_verified_at)
        values (${user.email}, ${user.passwordHash}, ${user.role}, ${user.emailVerified ? sql`now()` : null})
        on conflict (email) do nothing
        returning ${columns}
      `;
      return rows[0];
    },

    /**
     * Creates the account as admin, or promotes an existing non-admin one, giving it this password
     * hash and a verified email; `created` tells which. Undefined when the account is already admin.
     */
    async upsertAdmin(
      user: { email: string; passwordHash: string },
      tx: Queryable = sql,
    ): Promise<(UserRow & { created: boolean }) | undefined> {
      // xmax = 0 only on a row this statement inserted (not one it updated).
      const rows = await tx<(UserRow & { created: boolean })[]>`
        insert into users as u (email, password_hash, role, email_verified_at)
        values (${user.email}, ${user.passwordHash}, 'admin', now())
        on conflict (email) do update set
          role = 'admin',
          password_hash = excluded.password_hash,
          email_verified_at = coalesce(u.email_verified_at, now()),
          updated_at = now()
        where u.role <> 'admin'
        returning ${columns}, (xmax = 0) as created
      `;
      return rows[0];
    },

    async findByEmail(email: string, tx: Queryable = sql): Promise<UserRow | undefined> {
      const rows = await tx<UserRow[]>`select ${columns} from users where email = ${email}`;
      return rows[0];
    },

    async findById(id: string, tx: Queryable = sql): Promise<UserRow | undefined> {
      const rows = await tx<UserRow[]>`select ${columns} from users where id = ${id}`;
      return rows[0];
    },

    async setPasswordHash(id: string, passwordHash: string, tx: Queryable = sql): Promise<void> {
      await tx`update users set password_hash = ${passwordHash}, updated_at = now() where id = ${id}`;
    },

    async markEmailVerified(id: string, tx: Queryable = sql): Promise<void> {
      await tx`
        update users set email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
        where id = ${id}
      `;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
