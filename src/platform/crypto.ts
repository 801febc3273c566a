import { createHash, randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

/** Time-ordered UUID (v7): unique like v4, but index-friendly and sortable by creation. */
export const newId = (): string => v7();

/** An opaque, URL-safe secret with 256 bits of entropy (refresh, verification and reset tokens). */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** Tokens are stored only as their SHA-256: a leaked table grants nothing. */
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');
