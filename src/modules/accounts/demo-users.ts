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

/** The demo world's other people (src/flows/demo-world.ts): more hosts and guests, same password. */
export const DEMO_WORLD_USERS: typeof DEMO_USERS = [
  { email: 'hana@roost.dev', role: 'host', firstName: 'Hana', lastName: 'Sato' },
  { email: 'marco@roost.dev', role: 'host', firstName: 'Marco', lastName: 'Rossi' },
  { email: 'olivia@roost.dev', role: 'host', firstName: 'Olivia', lastName: 'Brown' },
  { email: 'gus@roost.dev', role: 'guest', firstName: 'Gus', lastName: 'Traveller' },
  { email: 'ines@roost.dev', role: 'guest', firstName: 'Inês', lastName: 'Costa' },
  { email: 'theo@roost.dev', role: 'guest', firstName: 'Theo', lastName: 'Martin' },
];

export type DemoUser = { id: string; email: string; role: Role; created: boolean };

/**
 * Creates the demo users if missing (by default the three of DEMO_USERS); an existing account (same
 * email) is left as it is. One password hash for all of them.
 */
export async function seedDemoUsers(db: Kysely<DB>, users = DEMO_USERS): Promise<DemoUser[]> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const out: DemoUser[] = [];
  for (const u of users) {
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

/** No account at all: a database nobody has used yet (the demo world is only ever made into one by itself). */
export async function hasNoUsers(db: Kysely<DB>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) === undefined;
}

/** The id of an account by email, if there is one. */
export async function userIdByEmail(db: Kysely<DB>, email: string): Promise<string | undefined> {
  return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst())?.id;
}
