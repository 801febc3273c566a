/**
 * Server-side rendering of the operator console: eta templates in ./views (a layout and one template
 * per page), escaped by default (`<%= %>`; `<%~ %>` is used only for the layout's body and for markup
 * built here from numbers). Resolved next to this module, so the same lookup works under tsx (src/),
 * in tests, and from dist/ (the build copies the views and assets: scripts/copy-console-views.mjs).
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, useWith: false });

const digitsOf = new Map<string, number>();
/** Decimals of a currency's minor unit (JPY 0, EUR 2), per Intl; 2 when unknown. */
function fractionDigits(currency: string): number {
  let digits = digitsOf.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsOf.set(currency, digits);
  }
  return digits;
}

/** Formatting helpers the templates use (`it.h`). */
export const helpers = {
  /** Minor units → `123.45 EUR` (`1200 JPY`: as many decimals as the currency has). */
  money(amount: number | null | undefined, currency?: string | null): string {
    if (amount === null || amount === undefined) return '—';
    const digits = currency ? fractionDigits(currency) : 2;
    const sign = amount < 0 ? '-' : '';
    const abs = Math.abs(amount);
    const unit = 10 ** digits;
    const whole = Math.floor(abs / unit);
    const text = digits === 0 ? `${whole}` : `${whole}.${String(abs % unit).padStart(digits, '0')}`;
    return `${sign}${text}${currency ? ` ${currency}` : ''}`;
  },
  /** An ISO timestamp or Date → `2026-11-26 18:40` (UTC). */
  time(value: string | Date | null | undefined): string {
    if (!value) return '—';
    const d = typeof value === 'string' ? new Date(value) : value;
    return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().slice(0, 16).replace('T', ' ');
  },
  /** A date (a DATE column may come back as a Date or a string) → `2026-11-26`. */
  day(value: string | Date | null | undefined): string {
    if (!value) return '—';
    return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
  },
  /** A query string from the non-empty values (with `?`), for links that keep the filters. */
  qs(params: Record<string, unknown>): string {
    const parts = Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== false)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    return parts.length ? `?${parts.join('&')}` : '';
  },
  json(value: unknown): string {
    return JSON.stringify(value, null, 2) ?? '';
  },
};

export function render(view: string, data: Record<string, unknown>): string {
  return eta.render(`./${view}`, { ...data, h: helpers });
}
