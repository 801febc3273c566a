/**
 * The links in Roost's emails, opened in a browser when no web app handles them (VERIFY_EMAIL_URL and
 * RESET_PASSWORD_URL default here; see src/platform/config.ts). `GET /verify-email` verifies and says
 * so; `GET /password-reset` explains the one call that sets a new password. A browser gets a small
 * page, any other client JSON (or a problem).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ServiceContext } from '../../platform/context.js';
import { AppError } from '../../platform/errors.js';
import { problemResponses, publicSecurity, type RoostApp } from '../../platform/http.js';
import type { AuthLimits } from './auth.limits.js';
import { OpaqueToken } from './auth.schemas.js';
import * as auth from './auth.service.js';
import { USER_EXAMPLE, UserSchema } from './users.schemas.js';

const TOKEN_EXAMPLE = 'Xk2pN9wQ4rT7vY0bM3cF6hJ8lZ1sD5gA-eU_iO2nB4x';
const TokenQuery = Type.Object(
  {
    token: Type.String({
      ...OpaqueToken,
      description: 'The token from the email link',
      examples: [TOKEN_EXAMPLE],
    }),
  },
  { additionalProperties: false },
);
const RESET_URL_EXAMPLE = 'https://api.roost.example/api/v1/auth/password-reset/confirm';

const Verified = Type.Object(
  { status: Type.Literal('verified'), message: Type.String(), user: UserSchema },
  { title: 'EmailVerified' },
);
const ResetInstructions = Type.Object(
  {
    message: Type.String(),
    method: Type.Literal('POST'),
    url: Type.String(),
    body: Type.Object({ token: Type.String(), password: Type.String() }),
  },
  { title: 'PasswordResetInstructions' },
);
const Html = Type.String({ description: 'A small page for a person who opened the link in a browser' });

const wantsHtml = (req: FastifyRequest) => /\btext\/html\b/.test(req.headers.accept ?? '');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, message: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Roost</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
        `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
    );
}

export async function emailLinkRoutes(
  app: RoostApp,
  { ctx, limits }: { ctx: ServiceContext; limits: AuthLimits },
) {
  const tags = ['auth'];

  app.get(
    '/verify-email',
    {
      onRequest: limits.perIp,
      schema: {
        tags,
        operationId: 'openVerifyEmailLink',
        security: publicSecurity,
        summary: 'Open the verification email link',
        description:
          'The default target of VERIFY_EMAIL_URL. Consumes the token like `POST /api/v1/auth/verify-email`; ' +
          'a browser (`Accept: text/html`) gets a page saying whether it worked, other clients JSON.',
        querystring: TokenQuery,
        response: {
          200: {
            description: 'Verified: JSON, or a page for a browser',
            content: {
              'application/json': {
                schema: Verified,
                example: {
                  status: 'verified',
                  message: `${USER_EXAMPLE.email} is verified. You can close this page.`,
                  user: USER_EXAMPLE,
                },
              },
              'text/html': {
                schema: Html,
                example:
                  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Email address verified · ' +
                  'Roost</title></head><body><h1>Email address verified</h1><p>ana.garcia@example.com is ' +
                  'verified. You can close this page.</p></body></html>',
              },
            },
          },
          ...problemResponses(400, 429),
        },
      },
    },
    async (req, reply) => {
      try {
        const user = await auth.verifyEmail(ctx, req.query.token);
        const message = `${user.email} is verified. You can close this page.`;
        if (wantsHtml(req)) return page(reply, 200, 'Email address verified', message);
        return { status: 'verified' as const, message, user };
      } catch (err) {
        if (!(err instanceof AppError) || !wantsHtml(req)) throw err;
        return page(
          reply,
          err.status,
          'This link does not work',
          'The verification link is invalid, has expired or was already used. Sign in and ask for a new one.',
        );
      }
    },
  );

  app.get(
    '/password-reset',
    {
      schema: {
        tags,
        operationId: 'openPasswordResetLink',
        security: publicSecurity,
        summary: 'Open the password-reset email link',
        description:
          'The default target of RESET_PASSWORD_URL when no web app handles it: the token is not consumed ' +
          'here; `POST /api/v1/auth/password-reset/confirm` with it and the new password.',
        querystring: TokenQuery,
        response: {
          200: {
            description: 'How to set the new password: JSON, or a page for a browser',
            content: {
              'application/json': {
                schema: ResetInstructions,
                example: {
                  message: `To choose a new password, POST {"token": "…", "password": "…"} to ${RESET_URL_EXAMPLE} with the token from this link.`,
                  method: 'POST',
                  url: RESET_URL_EXAMPLE,
                  body: { token: TOKEN_EXAMPLE, password: 'your new password' },
                },
              },
              'text/html': {
                schema: Html,
                example:
                  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reset your password · ' +
                  'Roost</title></head><body><h1>Reset your password</h1><p>To choose a new password, POST ' +
                  '{"token": "…", "password": "…"} to the confirm URL with the token from this link.</p></body></html>',
              },
            },
          },
          ...problemResponses(400),
        },
      },
    },
    async (req, reply) => {
      const url = `${ctx.config.PUBLIC_URL}/api/v1/auth/password-reset/confirm`;
      const message = `To choose a new password, POST {"token": "…", "password": "…"} to ${url} with the token from this link.`;
      if (wantsHtml(req)) return page(reply, 200, 'Reset your password', message);
      return {
        message,
        method: 'POST' as const,
        url,
        body: { token: req.query.token, password: 'your new password' },
      };
    },
  );
}
