import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { clientInfo, problemResponses, type RoostApp } from '../../platform/http.js';
import type { AuthLimits } from './auth.limits.js';
import {
  Accepted,
  EmailBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  SessionSchema,
  TokenBody,
} from './auth.schemas.js';
import * as auth from './auth.service.js';
import { UserSchema } from './users.schemas.js';

export async function authRoutes(
  app: RoostApp,
  { ctx, limits }: { ctx: ServiceContext; limits: AuthLimits },
) {
  // Two independent limits on credential endpoints (shared with GraphQL's login and register).
  const { perIp, perEmail } = limits;
  const limited = { onRequest: perIp, preHandler: perEmail };
  const tags = ['auth'];

  app.post(
    '/register',
    {
      ...limited,
      schema: {
        tags,
        summary: 'Create an account (role guest); sends a verification email',
        body: RegisterBody,
        response: { 201: UserSchema, ...problemResponses(400, 409, 429) },
      },
    },
    async (req, reply) => reply.code(201).send(await auth.register(ctx, req.body)),
  );

  app.post(
    '/login',
    {
      ...limited,
      schema: {
        tags,
        summary: 'Exchange email and password for an access token and a refresh token',
        body: LoginBody,
        response: { 200: SessionSchema, ...problemResponses(400, 401, 429) },
      },
    },
    async (req) => auth.login(ctx, req.body, clientInfo(req)),
  );

  app.post(
    '/refresh',
    {
      onRequest: perIp,
      schema: {
        tags,
        summary: 'Rotate a refresh token; reusing an old one revokes the whole session',
        body: RefreshBody,
        response: { 200: SessionSchema, ...problemResponses(400, 401) },
      },
    },
    async (req) => auth.refresh(ctx, req.body.refreshToken, clientInfo(req)),
  );

  app.post(
    '/logout',
    {
      schema: {
        tags,
        summary: 'End the session the refresh token belongs to',
        body: RefreshBody,
        response: { 204: { type: 'null' }, ...problemResponses(400) },
      },
    },
    async (req, reply) => {
      await auth.logout(ctx, req.body.refreshToken);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/verify-email',
    {
      onRequest: perIp,
      schema: {
        tags,
        summary: 'Confirm an email address with the token from the verification email',
        body: TokenBody,
        response: { 200: UserSchema, ...problemResponses(400) },
      },
    },
    async (req) => auth.verifyEmail(ctx, req.body.token),
  );

  app.post(
    '/verify-email/resend',
    {
      onRequest: perIp,
      schema: {
        tags,
        summary: 'Send a new verification email to the signed-in user',
        security: bearerSecurity,
        response: { 202: Accepted, ...problemResponses(401, 409) },
      },
    },
    async (req, reply) => {
      await auth.resendVerification(ctx, requireActor(req));
      return reply.code(202).send({ status: 'accepted' as const });
    },
  );

  app.post(
    '/password-reset/request',
    {
      ...limited,
      schema: {
        tags,
        summary: 'Email a password-reset link (answers 202 whether or not the email exists)',
        body: EmailBody,
        response: { 202: Accepted, ...problemResponses(400, 429) },
      },
      // The address is looked up only once the answer has left: the response (and its timing) is the
      // same whether or not an account exists — also on embedded PGlite, whose queries run on this thread.
      onResponse: async (req, reply) => {
        if (reply.statusCode !== 202) return;
        await new Promise((resolve) => setImmediate(resolve)); // let the caller's side of the exchange finish first
        await auth
          .requestPasswordReset(ctx, req.body.email)
          .catch((err) => req.log.error({ err }, 'password reset request failed'));
      },
    },
    async (_req, reply) => reply.code(202).send({ status: 'accepted' as const }),
  );

  app.post(
    '/password-reset/confirm',
    {
      onRequest: perIp,
      schema: {
        tags,
        summary: 'Set a new password with a reset token; signs out every session',
        body: ResetPasswordBody,
        response: { 204: { type: 'null' }, ...problemResponses(400, 429) },
      },
    },
    async (req, reply) => {
      await auth.resetPassword(ctx, req.body.token, req.body.password);
      return reply.code(204).send(null);
    },
  );
}
