/** An instant read from the database (a Date, or the string a driver may return) as ISO 8601 UTC; null stays null. */
export function isoOrNull(d: Date | string | null | undefined): string | null {
  return d == null ? null : new Date(d).toISOString();
}
