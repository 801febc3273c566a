/**
 * Where uploaded files live. The local-disk store keeps them under UPLOADS_DIR, named by the SHA-256
 * of their content (so a name never changes meaning, and responses can be cached forever).
 * An S3-compatible store would implement the same interface.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FileStore {
  /** Stores the bytes; returns their key (content-addressed, with the extension). */
  put(bytes: Buffer, extension: string): Promise<string>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{64}\.(jpg|png|webp)$/;

export const isStoreKey = (key: string) => KEY.test(key);

export class LocalFileStore implements FileStore {
  constructor(private readonly dir: string) {}

  async put(bytes: Buffer, extension: string): Promise<string> {
    const key = `${createHash('sha256').update(bytes).digest('hex')}.${extension}`;
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, key), bytes);
    return key;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (!isStoreKey(key)) return undefined;
    try {
      return await readFile(join(this.dir, key));
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    if (isStoreKey(key)) await rm(join(this.dir, key), { force: true });
  }
}

/** The image type from the first bytes, whatever the file name or declared type say. */
export function sniffImage(
  bytes: Buffer,
): { contentType: string; extension: 'jpg' | 'png' | 'webp' } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return { contentType: 'image/jpeg', extension: 'jpg' };
  }
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { contentType: 'image/png', extension: 'png' };
  }
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return { contentType: 'image/webp', extension: 'webp' };
  }
  return undefined;
}
