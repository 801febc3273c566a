import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

/** Time-ordered UUID (v7): unique like v4, but index-friendly and sortable by creation. */
export const newId = (): string => v7();

/** An opaque, URL-safe secret with 256 bits of entropy (refresh, verification and reset tokens). */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** Tokens are stored only as their SHA-256: a leaked table grants nothing. */
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * A 256-bit AES-GCM key for one purpose, derived from a server secret with HKDF-SHA256: each purpose
 * (`info` label) gets an independent key, so the same secret can sign JWTs and seal data without one
 * use ever helping an attack on the other. `id` is a short fingerprint of the key (not of the secret),
 * written beside sealed data so that "sealed under another key" is told apart from "corrupt".
 */
export interface SealingKey {
  readonly id: string;
  readonly key: Buffer;
}

export function deriveSealingKey(secret: string, info: string): SealingKey {
  const key = Buffer.from(hkdfSync('sha256', secret, 'roost', info, 32));
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
}

export class UnsealError extends Error {
  override name = 'UnsealError';
  constructor(
    readonly reason: 'malformed' | 'other_key' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

const SEALED_VERSION = 'v1';

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, bound to `context` (authenticated, not stored:
 * a blob opens only with the same context, e.g. the row it belongs to). Returns an opaque ASCII string
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
export function seal(key: SealingKey, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SEALED_VERSION, key.id, iv, ciphertext, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Opens what `seal` produced with the same key and context; throws UnsealError (never echoing data). */
export function unseal(key: SealingKey, sealed: string, context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== SEALED_VERSION) {
    throw new UnsealError('malformed', 'not a sealed value of a known version');
  }
  const [, keyId, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  if (keyId !== key.id) {
    throw new UnsealError('other_key', `sealed under key ${keyId}, but this process has key ${key.id}`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new UnsealError('corrupt', `does not authenticate under key ${key.id} (altered, or moved)`);
  }
}
