/**
 * Sending email. `Mailer.send` is idempotent per message id where the transport allows: the file
 * transport writes `<id>.json` (a second delivery of the same outbox row overwrites, never duplicates);
 * SMTP sends the outbox id as the Message-ID so receivers can de-duplicate.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from './config.js';

export interface OutgoingEmail {
  /** The outbox row id: the message's identity across retries. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close?(): void;
}

export class FileMailer implements Mailer {
  constructor(private readonly dir: string) {}
  async send(email: OutgoingEmail): Promise<void> {
    // A written email may carry a live token (it is the recipient's inbox): readable by this user only.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written aside, then renamed into place: whoever watches the folder never reads half an email.
    const path = join(this.dir, `${email.id}.json`);
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify({ ...email, writtenAt: new Date().toISOString() }, null, 2), {
      mode: 0o600,
    });
    await rename(partial, path);
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }
  async send(email: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: `<${email.id}@roost>`,
    });
  }
  close() {
    this.transport.close();
  }
}

export function createMailer(config: Config): Mailer {
  return config.SMTP_URL
    ? new SmtpMailer(config.SMTP_URL, config.MAIL_FROM)
    : new FileMailer(config.MAIL_DIR);
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (minor: unknown, currency: unknown) =>
  `${(Number(minor ?? 0) / 100).toFixed(2)} ${String(currency ?? '')}`;

type Template = (d: Record<string, unknown>) => { subject: string; lines: string[]; link?: string };

const TEMPLATES: Record<string, Template> = {
  verify_email: (d) => ({
    subject: 'Confirm your email',
    lines: [`Hi ${d['firstName']},`, 'Please confirm your email address for Roost.'],
    link: String(d['link']),
  }),
  password_reset: (d) => ({
    subject: 'Reset your password',
    lines: [
      `Hi ${d['firstName']},`,
      `Use this link within ${d['expiresInMinutes']} minutes to choose a new password.`,
      "If you didn't ask for it, ignore this email.",
    ],
    link: String(d['link']),
  }),
  password_changed: (d) => ({
    subject: 'Your password was changed',
    lines: [
      `Hi ${d['firstName']},`,
      'Your Roost password was just changed. If this was not you, reset it now.',
    ],
  }),
  booking_confirmed: (d) => ({
    subject: 'Your booking is confirmed',
    lines: [`Hi ${d['firstName']},`, `Your stay from ${d['checkIn']} to ${d['checkOut']} is confirmed.`],
  }),
  booking_declined: (d) => ({
    subject: 'Your booking request was declined',
    lines: [
      `Hi ${d['firstName']},`,
      `The host declined your request for ${d['checkIn']}–${d['checkOut']}.`,
      `Refunded: ${money(d['refundedAmount'], d['currency'])}.`,
    ],
  }),
  booking_cancelled: (d) => ({
    subject: 'Your booking was cancelled',
    lines: [
      `Hi ${d['firstName']},`,
      `Your stay from ${d['checkIn']} to ${d['checkOut']} was cancelled.`,
      `Refunded: ${money(d['refundedAmount'], d['currency'])}.`,
    ],
  }),
  checkin_reminder: (d) => ({
    subject: 'Your stay starts tomorrow',
    lines: [`Hi ${d['firstName']},`, `Check-in is on ${d['checkIn']} from ${d['checkInTime']}.`],
  }),
  review_reminder: (d) => ({
    subject: 'How was your stay?',
    lines: [`Hi ${d['firstName']},`, `Tell others about your stay that ended on ${d['checkOut']}.`],
  }),
};

/** Subject, text and HTML for an outbox row. Unknown templates still render (their data as text). */
export function renderEmail(
  id: string,
  to: string,
  template: string,
  data: Record<string, unknown>,
): OutgoingEmail {
  const t = TEMPLATES[template]?.(data) ?? {
    subject: template.replaceAll('_', ' '),
    lines: [JSON.stringify(data)],
  };
  const text = [...t.lines, ...(t.link ? ['', t.link] : []), '', '— Roost'].join('\n');
  const html = `${t.lines.map((l) => `<p>${esc(l)}</p>`).join('')}${t.link ? `<p><a href="${esc(t.link)}">${esc(t.link)}</a></p>` : ''}<p>— Roost</p>`;
  return { id, to, subject: t.subject, text, html };
}
