import { describe, expect, it } from 'vitest';
import { MASKS, maskContactDetails } from './masking.js';

const masked = (s: string) => maskContactDetails(s).text;

describe('maskContactDetails', () => {
  it('hides email addresses, plain and spelled out', () => {
    expect(masked('write to ana.lopez+trip@example.co.uk please')).toBe(`write to ${MASKS.email} please`);
    expect(masked('ana (at) gmail (dot) com')).toBe(MASKS.email);
    expect(masked('ana at gmail dot com')).toBe(MASKS.email);
  });

  it('hides links and bare domains', () => {
    expect(masked('see https://evil.example/pay?x=1 now')).toBe(`see ${MASKS.link} now`);
    expect(masked('www.myflat.es')).toBe(MASKS.link);
    expect(masked('book on myflat.com instead')).toBe(`book on ${MASKS.link} instead`);
    expect(masked('t.me/anarentals')).toBe(MASKS.link);
  });

  it('hides phone numbers in their usual spellings', () => {
    for (const phone of [
      '+34 612 345 678',
      '(555) 123-4567',
      '0612345678',
      '06.12.34.56.78',
      '+1-555-123-4567',
    ]) {
      expect(masked(`call me on ${phone} tonight`)).toBe(`call me on ${MASKS.phone} tonight`);
    }
  });

  it('leaves dates, prices, counts and ordinary words alone', () => {
    for (const text of [
      'We arrive 2026-07-10 and leave 2026-07-12',
      'Check-in 2026-07-10 - 2026-07-12 works?',
      'Is 120.50 EUR per night right? We are 4 adults and 2 kids.',
      'Flight AB 1234 lands at 14:30',
      'The terrace is at the back. Dot the i.',
      'Room 12, floor 3',
      "I'm at home. See you at the station.",
    ]) {
      expect(maskContactDetails(text)).toEqual({ text, masked: false });
    }
  });

  it('says whether it hid anything', () => {
    expect(maskContactDetails('mail me: a@b.io').masked).toBe(true);
    expect(maskContactDetails('hello').masked).toBe(false);
  });
});
