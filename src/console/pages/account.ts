/** The signed-in admin's security: turn two-factor sign-in (TOTP) on and off. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import { beginTotpSetup, confirmTotp, disableTotp, totpStatus } from '../../modules/accounts/auth.service.js';
import type { RoostApp } from '../../platform/http.js';
import { adminRoute, type ConsoleDeps, type Flash, form, runAction, sendPage } from '../http.js';

const Code = form({ code: Type.String({ minLength: 6, maxLength: 6, pattern: '^\\d{6}$' }) });
const PATH = '/admin/account/security';

export function accountPages(app: RoostApp, { ctx, secure }: ConsoleDeps) {
  async function show(req: FastifyRequest, reply: FastifyReply, flash?: Flash, status?: number) {
    const totp = await totpStatus(ctx, req.actor!);
    // The pending secret's otpauth URI as a QR code for the authenticator app to scan: an SVG drawn
    // here, shown as a data: image (the page's CSP allows `img-src data:` and no script).
    const qr = totp.pending
      ? `data:image/svg+xml;base64,${Buffer.from(
          await QRCode.toString(totp.pending.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
        ).toString('base64')}`
      : null;
    return sendPage(
      req,
      reply,
      'security',
      { totp, qr },
      {
        title: 'Security',
        section: 'Account',
        flash: flash ?? null,
        ...(status ? { status } : {}),
      },
    );
  }
  app.get('/account/security', adminRoute({}), (req, reply) => show(req, reply));

  app.post(
    '/account/security/totp/start',
    adminRoute({ body: form({}) }, { action: 'admin.totp_setup', objectType: 'user' }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: PATH,
        ok: 'Add the secret (or the otpauth URI) to your authenticator app, then confirm with the code it shows.',
        run: () => beginTotpSetup(ctx, req.actor!),
        rerender: (flash, status) => show(req, reply, flash, status),
      }),
  );
  app.post(
    '/account/security/totp/confirm',
    adminRoute({ body: Code }, { action: 'admin.totp_enable', objectType: 'user' }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: PATH,
        ok: 'Two-factor sign-in is on.',
        run: () => confirmTotp(ctx, req.actor!, req.body.code),
        rerender: (flash, status) => show(req, reply, flash, status),
      }),
  );
  app.post(
    '/account/security/totp/disable',
    adminRoute({ body: Code }, { action: 'admin.totp_disable', objectType: 'user' }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: PATH,
        ok: 'Two-factor sign-in is off.',
        run: () => disableTotp(ctx, req.actor!, req.body.code),
        rerender: (flash, status) => show(req, reply, flash, status),
      }),
  );
}
