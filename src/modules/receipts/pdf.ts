/**
 * PDFs of receipts and payout statements, with pdfkit and its built-in Helvetica (no font files): A4, a
 * header with the platform's details, a simple table that continues on new pages (its header repeated),
 * and "page x of y" in every footer. The built-in font encodes WinAnsi only, so every string is brought
 * into it (accents kept where WinAnsi has them, other characters shown as `?`) and cut to its column.
 * Rendering yields to the event loop every few rows, so a long stay or a busy month never holds it.
 */
import PDFDocument from 'pdfkit';
import { formatMoney } from './format.js';
import type { PayoutStatementView, PlatformView, ReceiptView } from './receipts.schemas.js';
import { formatDays } from './receipts.service.js';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FOOTER = 30;
const ROW = 16;
/** Rows drawn between two yields to the event loop. */
const ROWS_PER_SLICE = 15;

/** Characters WinAnsi has beyond Latin-1 (pdfkit maps them to their WinAnsi codes). */
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const encodable = (c: string) => {
  const code = c.codePointAt(0) ?? 0;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(c);
};

/** `text` in the font's encoding, at most `max` characters (control characters become spaces). */
export function pdfText(text: string, max = 200): string {
  let out = '';
  for (const c of text.normalize('NFC')) {
    if (out.length >= max) break;
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) out += ' ';
    else if (code !== 0xa0 && /\p{Zs}/u.test(c)) out += ' ';
    else if (encodable(c)) out += c;
    else {
      // A letter WinAnsi lacks may still read fine without its accent (ő → o); others (ł, 東) are `?`.
      const bare = c.normalize('NFD').replace(/\p{M}/gu, '');
      out += bare.length > 0 && [...bare].every(encodable) ? bare : '?';
    }
  }
  return out;
}

/** Money in the font's encoding: the symbol where WinAnsi has it (€ £ ¥ $), else the ISO code. */
function money(minor: number, currency: string): string {
  const withSymbol = formatMoney(minor, currency);
  return [...withSymbol].every(encodable) ? withSymbol : formatMoney(minor, currency, 'code');
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right';
}

/** Draws a table row by row, starting a new page (with the header again) when the next row won't fit. */
class Table {
  private drawn = 0;
  constructor(
    private readonly doc: Doc,
    private readonly columns: Column[],
  ) {}

  private get bottom() {
    return this.doc.page.height - MARGIN - FOOTER;
  }

  header() {
    const { doc } = this;
    if (doc.y + ROW * 2 > this.bottom) doc.addPage();
    this.cells(
      this.columns.map((c) => c.title),
      'Helvetica-Bold',
    );
    doc
      .moveTo(MARGIN, doc.y - 3)
      .lineTo(doc.page.width - MARGIN, doc.y - 3)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
  }

  async row(values: string[], font = 'Helvetica') {
    if (this.doc.y + ROW > this.bottom) {
      this.doc.addPage();
      this.header();
    }
    this.cells(values, font);
    if (++this.drawn % ROWS_PER_SLICE === 0) await yieldToLoop();
  }

  private cells(values: string[], font: string) {
    const { doc } = this;
    const y = doc.y;
    let x = MARGIN;
    doc.font(font).fontSize(9).fillColor('#000000');
    this.columns.forEach((c, i) => {
      const text = fitWidth(doc, pdfText(values[i] ?? ''), c.width - 6);
      doc.text(text, x, y, { width: c.width - 6, align: c.align ?? 'left', lineBreak: false });
      x += c.width;
    });
    doc.x = MARGIN;
    doc.y = y + ROW;
  }
}

/** `text` cut (with an ellipsis) to fit `width` points in the current font. */
function fitWidth(doc: Doc, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let cut = text;
  while (cut.length > 0 && doc.widthOfString(`${cut}…`) > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function newDocument(title: string, platform: PlatformView, createdAt: Date, compress: boolean): Doc {
  return new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    compress,
    info: {
      Title: pdfText(title, 100),
      Author: pdfText(platform.name, 100),
      Creator: pdfText(platform.name, 100),
      CreationDate: createdAt,
    },
  });
}

/** The platform's block (left) and the document's title and number (right). */
function letterhead(doc: Doc, platform: PlatformView, title: string, facts: string[]) {
  const right = doc.page.width - MARGIN - 240;
  doc.font('Helvetica-Bold').fontSize(18).fillColor('#000000');
  doc.text(pdfText(platform.name, 60), MARGIN, MARGIN, { width: 250, lineBreak: false });
  doc.font('Helvetica').fontSize(8.5).fillColor('#444444');
  // The address may wrap (at most three lines); the rest are one line each.
  doc.text(pdfText(platform.address, 300), MARGIN, MARGIN + 24, { width: 250, height: 33, ellipsis: true });
  let y = doc.y + 1;
  const platformLines = [...(platform.taxId ? [`Tax ID: ${platform.taxId}`] : []), platform.supportEmail];
  for (const line of platformLines) {
    doc.text(fitWidth(doc, pdfText(line, 300), 250), MARGIN, y, { width: 250, lineBreak: false });
    y += 11;
  }
  doc.font('Helvetica-Bold').fontSize(16).fillColor('#000000');
  doc.text(title, right, MARGIN, { width: 240, align: 'right', lineBreak: false });
  doc.font('Helvetica').fontSize(9);
  let ry = MARGIN + 24;
  for (const fact of facts) {
    doc.text(fitWidth(doc, pdfText(fact), 240), right, ry, { width: 240, align: 'right', lineBreak: false });
    ry += 12;
  }
  doc.x = MARGIN;
  doc.y = Math.max(y, ry) + 18;
}

function heading(doc: Doc, text: string) {
  if (doc.y + ROW * 3 > doc.page.height - MARGIN - FOOTER) doc.addPage();
  doc.font('Helvetica-Bold').fontSize(11).fillColor('#000000');
  doc.text(text, MARGIN, doc.y, { lineBreak: false });
  doc.x = MARGIN;
  doc.y += 18;
}

function keyValues(doc: Doc, rows: [string, string][]) {
  for (const [k, v] of rows) {
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(9).fillColor('#000000');
    doc.text(pdfText(k), MARGIN, y, { width: 110, lineBreak: false });
    doc.font('Helvetica');
    doc.text(fitWidth(doc, pdfText(v), 380), MARGIN + 110, y, { width: 385, lineBreak: false });
    doc.x = MARGIN;
    doc.y = y + 13;
  }
  doc.y += 8;
}

function note(doc: Doc, text: string) {
  doc.font('Helvetica-Oblique').fontSize(9).fillColor('#444444');
  doc.text(pdfText(text), MARGIN, doc.y, { lineBreak: false });
  doc.x = MARGIN;
  doc.y += 16;
}

/** "page x of y" and the document number in every page's footer (pages are buffered until the end). */
function footers(doc: Doc, label: string) {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = doc.page.height - MARGIN - 12;
    // Writing inside the bottom margin: lift it while drawing, or pdfkit starts a new page.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('Helvetica').fontSize(8).fillColor('#666666');
    doc.text(`${pdfText(label)}  ·  page ${i + 1} of ${range.count}`, MARGIN, y, {
      width: doc.page.width - MARGIN * 2,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottomMargin;
  }
}

/** The finished document's bytes. */
function finish(doc: Doc): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

const day = (iso: string) => formatDays(iso.slice(0, 10), iso.slice(0, 10));

export interface PdfOptions {
  /** Deflate page contents (default true; tests may read them either way). */
  compress?: boolean;
}

/** A guest's receipt as a PDF. */
export async function receiptPdf(r: ReceiptView, opts: PdfOptions = {}): Promise<Buffer> {
  const doc = newDocument(
    `Receipt ${r.receiptNumber}`,
    r.platform,
    new Date(r.generatedAt),
    opts.compress ?? true,
  );
  letterhead(doc, r.platform, 'Receipt', [
    r.receiptNumber,
    `Issued ${day(r.issuedAt)}`,
    `Booking ${r.bookingId}`,
  ]);
  const place = [r.listing.city, r.listing.region, r.listing.countryCode].filter(Boolean).join(', ');
  keyValues(doc, [
    ['Billed to', r.guest.firstName],
    ['Listing', r.listing.title],
    ...(place ? ([['Location', place]] as [string, string][]) : []),
    [
      'Stay',
      `${formatDays(r.stay.checkIn, r.stay.checkIn)} to ${formatDays(r.stay.checkOut, r.stay.checkOut)} · ` +
        `${r.stay.nights} ${r.stay.nights === 1 ? 'night' : 'nights'} · ${r.stay.guests} ${r.stay.guests === 1 ? 'guest' : 'guests'}`,
    ],
  ]);

  heading(doc, 'Charges');
  const charges = new Table(doc, [
    { title: 'Description', width: 395 },
    { title: `Amount (${r.currency})`, width: 100, align: 'right' },
  ]);
  charges.header();
  for (const line of r.lines) {
    const description =
      line.kind === 'nights'
        ? `${line.quantity} ${line.quantity === 1 ? 'night' : 'nights'} × ${money(line.unitAmount, r.currency)} (${formatDays(line.from!, line.to!)})`
        : line.description;
    await charges.row([description, money(line.amount, r.currency)]);
  }
  await charges.row(['Total', money(r.total, r.currency)], 'Helvetica-Bold');
  doc.y += 10;

  heading(doc, 'Payments');
  if (r.payments.length === 0) note(doc, 'No payments.');
  else {
    const payments = new Table(doc, [
      { title: 'Date', width: 110 },
      { title: 'Method', width: 140 },
      { title: 'Reference', width: 145 },
      { title: 'Amount', width: 100, align: 'right' },
    ]);
    payments.header();
    for (const p of r.payments) {
      await payments.row([day(p.date), p.provider, p.reference, money(p.amount, r.currency)]);
    }
  }
  doc.y += 10;

  if (r.refunds.length > 0) {
    heading(doc, 'Refunds');
    const refunds = new Table(doc, [
      { title: 'Date', width: 110 },
      { title: 'Reason', width: 185 },
      { title: 'Status', width: 100 },
      { title: 'Amount', width: 100, align: 'right' },
    ]);
    refunds.header();
    for (const x of r.refunds) {
      await refunds.row([day(x.date), x.reason.replace(/_/g, ' '), x.status, money(x.amount, r.currency)]);
    }
    doc.y += 10;
  }

  const summary = new Table(doc, [
    { title: 'Summary', width: 395 },
    { title: '', width: 100, align: 'right' },
  ]);
  summary.header();
  await summary.row(['Paid', money(r.paid, r.currency)]);
  await summary.row(['Refunded', money(r.refunded, r.currency)]);
  if (r.refundPending > 0) await summary.row(['Refund pending', money(r.refundPending, r.currency)]);
  await summary.row(['Net paid', money(r.netPaid, r.currency)], 'Helvetica-Bold');

  footers(doc, `${r.platform.name} · ${r.receiptNumber}`);
  return finish(doc);
}

/** A host's payout statement as a PDF. */
export async function statementPdf(s: PayoutStatementView, opts: PdfOptions = {}): Promise<Buffer> {
  const doc = newDocument(
    `Payout statement ${s.statementNumber}`,
    s.platform,
    new Date(s.generatedAt),
    opts.compress ?? true,
  );
  letterhead(doc, s.platform, 'Payout statement', [
    s.statementNumber,
    `Month ${s.month} (UTC)`,
    `Generated ${day(s.generatedAt)}`,
  ]);
  keyValues(doc, [
    ['Host', s.host.firstName],
    ['Host ID', s.host.id],
  ]);

  heading(doc, 'Bookings');
  if (s.lines.length === 0) note(doc, 'No charges or refunds recorded in this month.');
  else {
    const table = new Table(doc, [
      { title: 'Guest · listing', width: 165 },
      { title: 'Stay', width: 100 },
      { title: 'Charged', width: 77, align: 'right' },
      { title: 'Refunded', width: 77, align: 'right' },
      { title: 'Net', width: 76, align: 'right' },
    ]);
    table.header();
    for (const l of s.lines) {
      await table.row([
        `${l.guestFirstName} · ${l.listingTitle}`,
        l.checkIn && l.checkOut ? formatDays(l.checkIn, l.checkOut) : '',
        money(l.charged, l.currency),
        money(l.refunded, l.currency),
        money(l.net, l.currency),
      ]);
    }
  }
  doc.y += 10;

  heading(doc, 'Payouts');
  if (s.payouts.length === 0) note(doc, 'No payouts in this month.');
  else {
    const table = new Table(doc, [
      { title: 'Date', width: 130 },
      { title: 'Transaction', width: 265 },
      { title: 'Amount', width: 100, align: 'right' },
    ]);
    table.header();
    for (const p of s.payouts) await table.row([day(p.date), p.transactionId, money(p.amount, p.currency)]);
  }
  doc.y += 10;

  heading(doc, 'Totals');
  const totals = new Table(doc, [
    { title: 'Currency', width: 95 },
    { title: 'Earnings', width: 135, align: 'right' },
    { title: 'Paid out', width: 130, align: 'right' },
    { title: 'Net', width: 135, align: 'right' },
  ]);
  totals.header();
  if (s.totals.length === 0) await totals.row(['-', '0', '0', '0']);
  for (const t of s.totals) {
    await totals.row(
      [t.currency, money(t.earnings, t.currency), money(t.paidOut, t.currency), money(t.net, t.currency)],
      'Helvetica-Bold',
    );
  }

  footers(doc, `${s.platform.name} · ${s.statementNumber}`);
  return finish(doc);
}
