/**
 * Money as people read it, from integer minor units. Sums are always done on integers; a decimal string
 * is made only here, at the edge, and handed to Intl.NumberFormat as a string (exact: no float ever holds
 * an amount). A currency's exponent (EUR 2, JPY 0, KWD 3) is the one Intl knows for it.
 */

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, display: 'symbol' | 'code'): Intl.NumberFormat {
  const key = `${currency}:${display}`;
  let nf = formatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: display });
    formatters.set(key, nf);
  }
  return nf;
}

/** Digits after the decimal point of a currency's minor unit (EUR 2, JPY 0, KWD 3). */
export function currencyExponent(currency: string): number {
  return formatter(currency, 'symbol').resolvedOptions().maximumFractionDigits ?? 2;
}

/** An integer amount of minor units as an exact decimal string: 12345 EUR → "123.45", 500 JPY → "500". */
export function toDecimalString(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not a whole amount of minor units: ${minor}`);
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor));
  const sign = minor < 0 ? '-' : '';
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * "€1,234.50", "¥12,000", "KWD 1.250" (`symbol`), or "EUR 1,234.50" (`code`: only ASCII letters and
 * digits beside the number, for the PDF's built-in font).
 */
export function formatMoney(minor: number, currency: string, display: 'symbol' | 'code' = 'symbol'): string {
  // Intl formats a numeric string exactly (Intl.NumberFormat v3); the cast covers older lib typings.
  return formatter(currency, display).format(toDecimalString(minor, currency) as unknown as number);
}
