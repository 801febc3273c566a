/**
 * What never reaches a log line: credentials and contact details. Two layers:
 * - named pino `redact` paths (`REDACTED_PATHS` in request-log.ts) for fields that hold them by name
 *   (`password`, `phone`, `checkinDetails`, headers, request bodies, GraphQL variables…);
 * - for errors, whose messages are free text (a database error quotes the value it refused, an SMTP
 *   error the address it could not deliver to), `maskContactDetails` on every string of the serialized
 *   error: email addresses and international phone numbers are replaced.
 * The worker's JSON lines (src/runtime.ts) are masked the same way.
 */
import { stdSerializers } from 'pino';

/** Fields holding personal data or secrets, wherever a logged object carries them at these paths. */
export const PERSONAL_DATA_PATHS = [
  'email',
  'phone',
  'currentPassword',
  'newPassword',
  'code',
  'totp',
  'totpCode',
  'checkinDetails',
  'body',
  'variables',
  'headers["set-cookie"]',
  'req.body',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  'err.email',
  'err.phone',
  'err.body',
  'err.parameters',
  'err.variables',
];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
/** `+` and 7 to 15 digits, possibly spaced or punctuated (E.164 and the usual ways of writing it). */
const PHONE = /\+\d(?:[\s().-]{0,2}\d){6,14}/g;

/** `text` with email addresses and phone numbers replaced. */
export function maskContactDetails(text: string): string {
  if (!text.includes('@') && !text.includes('+')) return text;
  return text.replace(EMAIL, '[email]').replace(PHONE, '[phone]');
}

function maskDeep(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return maskContactDetails(v);
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = maskDeep(x, depth + 1);
  return out;
}

/** pino's error serializer, then every string in it masked (message, stack, a driver's `detail`…). */
export function redactingErrorSerializer(err: Error): {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
} {
  const serialized = err instanceof Error ? stdSerializers.err(err) : err;
  return maskDeep(serialized) as ReturnType<typeof redactingErrorSerializer>;
}
