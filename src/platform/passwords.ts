import { hash, verify } from '@node-rs/argon2';
import { invalidField } from './errors.js';

/** argon2id with OWASP's recommended minimum: 19 MiB memory, 2 iterations, 1 lane. */
const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

// A valid argon2id hash of a random string: verifying against it when the email is unknown
// makes a failed login take as long as a wrong password does.
let dummyHash: Promise<string> | undefined;
export function burnPasswordCheck(password: string): Promise<boolean> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}`);
  return dummyHash.then((h) => verifyPassword(h, password));
}

const COMMON = new Set([
  'password123',
  'password1234',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'qwerty12345',
  'iloveyou123',
  'letmein1234',
  'welcome123',
  'admin12345',
  'passw0rd123',
  'abc1234567',
]);

/** Password policy: 10–128 characters, at least one letter and one digit, not common, not the email. */
export function assertPasswordPolicy(password: string, email: string, field = 'password'): void {
  const fail = (msg: string) => invalidField(field, msg, 'weak_password');
  if (password.length < PASSWORD_MIN) throw fail(`must be at least ${PASSWORD_MIN} characters long`);
  if (password.length > PASSWORD_MAX) throw fail(`must be at most ${PASSWORD_MAX} characters long`);
  if (!/\p{L}/u.test(password) || !/\p{N}/u.test(password))
    throw fail('must contain at least one letter and one digit');
  if (COMMON.has(password.toLowerCase())) throw fail('is too common; choose another');
  const local = email.split('@')[0] ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) {
    throw fail('must not contain your email address');
  }
}
