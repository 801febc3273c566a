import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

const uploads = mkdtempSync(join(tmpdir(), 'roost-uploads-'));
let t: TestApp;
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { UPLOADS_DIR: uploads, PHOTO_MAX_BYTES: '4096' } });
  host = await createUser(t, 'host');
});
afterAll(async () => {
  await t.close();
  rmSync(uploads, { recursive: true, force: true });
});

// The smallest valid-looking files of each kind: only their signatures matter to the sniffer.
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x40, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
  Buffer.alloc(64, 3),
]);

function multipart(file: Buffer, filename: string, contentType: string, caption?: string) {
  const boundary = `----roost${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  if (caption !== undefined) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\n${caption}\r\n`),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const upload = (user: TestUser, id: string, body: ReturnType<typeof multipart>) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/properties/${id}/photos`,
    headers: { ...user.auth, ...body.headers },
    payload: body.payload,
  });

describe('photos', () => {
  it('accepts JPEG, PNG and WebP by content, orders them, keeps one cover, and serves them cacheably', async () => {
    const { id } = await createListing(t, host);
    const a = await upload(host, id, multipart(PNG, 'a.png', 'image/png', 'Living room'));
    const b = await upload(host, id, multipart(JPEG, 'b.bin', 'application/octet-stream'));
    const c = await upload(host, id, multipart(WEBP, 'c.webp', 'image/webp'));
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([201, 201, 201]);
    expect(a.json()).toMatchObject({
      position: 0,
      isCover: true,
      contentType: 'image/png',
      caption: 'Living room',
    });
    expect(b.json()).toMatchObject({ position: 1, isCover: false, contentType: 'image/jpeg' });

    const media = await t.app.inject({ method: 'GET', url: b.json().url });
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toBe('image/jpeg');
    expect(media.headers['cache-control']).toContain('immutable');
    expect(media.rawPayload.equals(JPEG)).toBe(true);

    const reordered = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/properties/${id}/photos/order`,
      headers: host.auth,
      payload: { photoIds: [c.json().id, a.json().id, b.json().id] },
    });
    expect(reordered.json().map((p: { id: string }) => p.id)).toEqual([
      c.json().id,
      a.json().id,
      b.json().id,
    ]);
    const cover = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${id}/photos/${b.json().id}/cover`,
      headers: host.auth,
    });
    expect(
      cover
        .json()
        .filter((p: { isCover: boolean }) => p.isCover)
        .map((p: { id: string }) => p.id),
    ).toEqual([b.json().id]);

    // Deleting the cover promotes the first remaining photo.
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/properties/${id}/photos/${b.json().id}`,
          headers: host.auth,
        })
      ).statusCode,
    ).toBe(204);
    const detail = (await t.app.inject({ method: 'GET', url: `/api/v1/properties/${id}` })).json();
    expect(
      detail.photos.map((p: { id: string; isCover: boolean; position: number }) => [
        p.id,
        p.isCover,
        p.position,
      ]),
    ).toEqual([
      [c.json().id, true, 0],
      [a.json().id, false, 1],
    ]);
  });

  it('refuses a text file renamed .jpg (415), oversized files (413) and other hosts (403)', async () => {
    const { id } = await createListing(t, host);
    const text = Buffer.from('just some text, not an image at all');
    expectProblem(
      await upload(host, id, multipart(text, 'holiday.jpg', 'image/jpeg')),
      415,
      'unsupported_image',
    );
    expectProblem(
      await upload(host, id, multipart(Buffer.concat([JPEG, Buffer.alloc(5000)]), 'big.jpg', 'image/jpeg')),
      413,
      'payload_too_large',
    );
    const other = await createUser(t, 'host');
    expectProblem(await upload(other, id, multipart(PNG, 'a.png', 'image/png')), 403);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/properties/${id}/photos`,
        headers: { ...host.auth, 'content-type': 'application/json' },
        payload: '{}',
      }),
      415,
    );
    const rows = await t.ctx.db
      .selectFrom('property_photos')
      .select('id')
      .where('property_id', '=', id)
      .execute();
    expect(rows).toHaveLength(0);
  });
});
