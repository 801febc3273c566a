/**
 * Generated listing photos for the demo world: small real PNG images (RGB, 8 bits, deflated with
 * node:zlib), drawn from a seed — a house under a sky for the cover, a room for the second photo. The
 * same seed draws the same bytes, so the file store (content-addressed) keeps one file per picture
 * however often the demo world is made.
 */
import { deflateSync } from 'node:zlib';

export const DEMO_PHOTO_WIDTH = 480;
export const DEMO_PHOTO_HEIGHT = 320;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of `width`×`height` RGB pixels (`rgb`: 3 bytes per pixel, row by row). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression, filter, interlace: 0
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

type Rgb = [number, number, number];

/** A colour from hue (0–360), saturation and lightness (0–1). */
function hsl(h: number, s: number, l: number): Rgb {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

class Canvas {
  readonly px: Uint8Array;
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    this.px = new Uint8Array(w * h * 3);
  }
  set(x: number, y: number, c: Rgb) {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return;
    const i = (y * this.w + x) * 3;
    this.px[i] = c[0];
    this.px[i + 1] = c[1];
    this.px[i + 2] = c[2];
  }
  /** Vertical gradient from `top` to `bottom` over rows [y0, y1). */
  gradient(y0: number, y1: number, top: Rgb, bottom: Rgb) {
    for (let y = y0; y < y1; y++) {
      const t = (y - y0) / Math.max(1, y1 - y0 - 1);
      const c: Rgb = [0, 1, 2].map((i) => Math.round(top[i]! + (bottom[i]! - top[i]!) * t)) as Rgb;
      for (let x = 0; x < this.w; x++) this.set(x, y, c);
    }
  }
  rect(x0: number, y0: number, w: number, h: number, c: Rgb) {
    for (let y = Math.max(0, y0); y < Math.min(this.h, y0 + h); y++)
      for (let x = Math.max(0, x0); x < Math.min(this.w, x0 + w); x++) this.set(x, y, c);
  }
  /** An isosceles triangle with its base on row `base`, from x0 to x1, apex `height` above. */
  roof(x0: number, x1: number, base: number, height: number, c: Rgb) {
    for (let dy = 0; dy < height; dy++) {
      const half = ((x1 - x0) / 2) * (1 - dy / height);
      const mid = (x0 + x1) / 2;
      for (let x = Math.round(mid - half); x <= Math.round(mid + half); x++) this.set(x, base - dy, c);
    }
  }
  disc(cx: number, cy: number, r: number, c: Rgb) {
    for (let y = cy - r; y <= cy + r; y++)
      for (let x = cx - r; x <= cx + r; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.set(x, y, c);
  }
}

/** mulberry32, as in ./generate.ts: the picture of a seed never changes. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The cover: a house (walls, roof, door, windows) on a lawn under a sky with a sun, all from the seed. */
export function houseImage(seed: number, width = DEMO_PHOTO_WIDTH, height = DEMO_PHOTO_HEIGHT): Buffer {
  const rand = prng(seed);
  const c = new Canvas(width, height);
  const horizon = Math.round(height * (0.62 + rand() * 0.1));
  const skyHue = 190 + rand() * 40;
  const evening = rand() < 0.3;
  c.gradient(
    0,
    horizon,
    evening ? hsl(260, 0.45, 0.35) : hsl(skyHue, 0.7, 0.55),
    evening ? hsl(25, 0.85, 0.65) : hsl(skyHue, 0.6, 0.85),
  );
  c.gradient(horizon, height, hsl(95 + rand() * 30, 0.45, 0.45), hsl(100 + rand() * 20, 0.5, 0.3));
  c.disc(
    Math.round(width * (0.1 + rand() * 0.8)),
    Math.round(horizon * (0.2 + rand() * 0.25)),
    Math.round(height * 0.07),
    evening ? hsl(30, 0.95, 0.7) : hsl(50, 1, 0.75),
  );
  const houseW = Math.round(width * (0.32 + rand() * 0.18));
  const houseH = Math.round(height * (0.25 + rand() * 0.12));
  const x0 = Math.round(width * 0.5 - houseW / 2 + (rand() - 0.5) * width * 0.3);
  const top = horizon + Math.round(height * 0.06) - houseH;
  const wall = hsl(rand() * 360, 0.35 + rand() * 0.3, 0.6 + rand() * 0.2);
  c.rect(x0, top, houseW, houseH, wall);
  c.roof(
    x0 - 12,
    x0 + houseW + 12,
    top,
    Math.round(houseH * (0.55 + rand() * 0.35)),
    hsl(rand() * 40, 0.6, 0.35),
  );
  const doorW = Math.round(houseW * 0.16);
  const doorH = Math.round(houseH * 0.55);
  const doorX = x0 + Math.round(houseW * (0.2 + rand() * 0.6)) - Math.round(doorW / 2);
  c.rect(doorX, top + houseH - doorH, doorW, doorH, hsl(rand() * 360, 0.5, 0.3));
  const glass = hsl(200, 0.6, evening ? 0.75 : 0.85);
  const winW = Math.round(houseW * 0.14);
  for (const fx of [0.12, 0.74]) {
    const wx = x0 + Math.round(houseW * fx);
    if (wx + winW > doorX - 4 && wx < doorX + doorW + 4) continue; // no window over the door
    c.rect(wx, top + Math.round(houseH * 0.22), winW, winW, glass);
  }
  return encodePng(width, height, c.px);
}

/** The second photo: a room (wall, floor, a window, a sofa and a lamp) in colours from the seed. */
export function roomImage(seed: number, width = DEMO_PHOTO_WIDTH, height = DEMO_PHOTO_HEIGHT): Buffer {
  const rand = prng(seed ^ 0x5bd1e995);
  const c = new Canvas(width, height);
  const floorY = Math.round(height * (0.68 + rand() * 0.08));
  const wallHue = rand() * 360;
  c.gradient(0, floorY, hsl(wallHue, 0.25, 0.88), hsl(wallHue, 0.25, 0.75));
  c.gradient(floorY, height, hsl(30, 0.4, 0.5), hsl(25, 0.45, 0.32));
  const winX = Math.round(width * (0.1 + rand() * 0.5));
  const winW = Math.round(width * 0.25);
  c.rect(winX - 6, Math.round(height * 0.14) - 6, winW + 12, Math.round(height * 0.34) + 12, hsl(0, 0, 0.95));
  for (let y = Math.round(height * 0.14); y < Math.round(height * 0.48); y++) {
    const t = (y - height * 0.14) / (height * 0.34);
    c.rect(winX, y, winW, 1, hsl(205, 0.7, 0.6 + 0.25 * t));
  }
  const sofa = hsl(rand() * 360, 0.45, 0.45);
  const sofaX = Math.round(width * (0.15 + rand() * 0.35));
  const sofaW = Math.round(width * 0.42);
  c.rect(sofaX, floorY - Math.round(height * 0.2), sofaW, Math.round(height * 0.2), sofa);
  c.rect(sofaX - 14, floorY - Math.round(height * 0.13), 14, Math.round(height * 0.13), sofa);
  c.rect(sofaX + sofaW, floorY - Math.round(height * 0.13), 14, Math.round(height * 0.13), sofa);
  const lampX = Math.min(width - 40, sofaX + sofaW + 40);
  c.rect(lampX, floorY - Math.round(height * 0.38), 4, Math.round(height * 0.38), hsl(0, 0, 0.2));
  c.roof(lampX - 20, lampX + 24, floorY - Math.round(height * 0.36), 26, hsl(45, 0.9, 0.7));
  return encodePng(width, height, c.px);
}
