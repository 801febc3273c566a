/**
 * Contact details in messages stay hidden until a booking of the thread is confirmed, so guests and hosts
 * cannot take the booking off the platform. The rule, applied when a message is shown (the text is stored
 * as written, and shown in full once the thread's contact details are revealed):
 *
 *  - email addresses: `name@domain.tld`, also written `name (at) domain (dot) tld` / `name at domain dot tld`
 *    (a bare "at" only with a spelled "dot");
 *  - links: anything starting `http://`, `https://` or `www.`, and bare domains with a path or a common
 *    top-level domain (`example.com`, `t.me/name`);
 *  - phone numbers: 7 or more digits, allowing spaces, dots, dashes, slashes, parentheses and a leading `+`
 *    between them (a date like `2026-07-10` or a price like `120.50` has fewer digits in a run or is a date;
 *    dates written YYYY-MM-DD are left alone).
 *
 * Each is replaced by a bracketed placeholder naming what was hidden. Pure: no I/O.
 */

export const MASKS = {
  email: '[email hidden until booking is confirmed]',
  link: '[link hidden until booking is confirmed]',
  phone: '[phone number hidden until booking is confirmed]',
} as const;

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
/** `name (at) domain (dot) tld`, `name[at]domain.tld`: a bracketed "at". */
const SPELLED_EMAIL =
  /[\p{L}\p{N}._%+-]+\s*(?:\(at\)|\[at\]|\{at\})\s*[\p{L}\p{N}-]+(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\.)\s*[\p{L}\p{N}-]+)+/giu;
/** `name at domain dot tld`: a bare "at" only counts with a spelled "dot" (not "I'm at home. See you"). */
const WORDY_EMAIL = /[\p{L}\p{N}._%+-]+\s+at\s+[\p{L}\p{N}-]+(?:\s+dot\s+[\p{L}\p{N}-]+)+/giu;
const URL_LIKE = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]+/giu;
const TLDS =
  'com|net|org|io|co|me|info|biz|app|dev|ly|gl|to|gg|tv|us|uk|de|fr|es|it|nl|pt|ru|br|in|cn|jp|au|ca|ch|eu|link|site|online|xyz';
const BARE_DOMAIN = new RegExp(
  `\\b[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)*\\.(?:${TLDS})(?:/[^\\s<>"')\\]]*)?\\b/?`,
  'giu',
);
/** A run of digits with separators; kept only when it has 7+ digits and is not an ISO date. */
const DIGIT_RUN = /\+?\(?\d[\d\s().\-/]{5,}\d/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface Masked {
  text: string;
  /** Something was hidden. */
  masked: boolean;
}

export function maskContactDetails(text: string): Masked {
  let out = text
    .replace(EMAIL, MASKS.email)
    .replace(SPELLED_EMAIL, MASKS.email)
    .replace(WORDY_EMAIL, MASKS.email);
  out = out.replace(URL_LIKE, MASKS.link).replace(BARE_DOMAIN, MASKS.link);
  out = out.replace(DIGIT_RUN, (run) => {
    const trimmed = run.trim();
    const digits = trimmed.replace(/\D/g, '').length;
    if (digits < 7 || ISO_DATE.test(trimmed)) return run;
    // Two dates written as a range (2026-07-10 - 2026-07-12) are not a phone number either.
    if (/^\d{4}-\d{2}-\d{2}\s*[-/]\s*\d{4}-\d{2}-\d{2}$/.test(trimmed)) return run;
    const lead = run.match(/^\s*/)?.[0] ?? '';
    const tail = run.match(/\s*$/)?.[0] ?? '';
    return `${lead}${MASKS.phone}${tail}`;
  });
  return { text: out, masked: out !== text };
}
