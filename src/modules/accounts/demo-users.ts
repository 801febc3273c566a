import type { Kysely } from 'kysely';
import { insertUnlessExists } from '../../db/dialect.js';
import type { DB, Role } from '../../db/schema/index.js';
import { newId } from '../../platform/crypto.js';
import { hashPassword } from '../../platform/passwords.js';

export const DEMO_PASSWORD = 'roost-demo-2024';

export const DEMO_USERS: { email: string; role: Role; firstName: string; lastName: string }[] = [
  { email: 'admin@roost.dev', role: 'admin', firstName: 'Ada', lastName: 'Admin' },
  { email: 'host@roost.dev', role: 'host', firstName: 'Hugo', lastName: 'Host' },
  { email: 'guest@roost.dev', role: 'guest', firstName: 'Greta', lastName: 'Guest' },
];

/** Creates the demo users if missing; an existing account (same email) is left as it is. */
export async function seedDemoUsers(db: Kysely<DB>) {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const out: { id: string; email: string; role: Role; created: boolean }[] = [];
  for (const u of DEMO_USERS) {
    const id = newId();
    const created = await insertUnlessExists(db, 'users', {
      id,
      email: u.email,
      password_hash: passwordHash,
      first_name: u.firstName,
      last_name: u.lastName,
      phone: null,
      role: u.role,
      email_verified_at: new Date(),
    });
    const existing = created
      ? id
      : (await db.selectFrom('users').select('id').where('email', '=', u.email).executeTakeFirstOrThrow()).id;
    out.push({ id: existing, email: u.email, role: u.role, created });
  }
  return out;
}
