import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import {
  clientInfo,
  described,
  noContent,
  problemResponses,
  publicSecurity,
  type RoostApp,
} from '../../platform/http.js';
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
        operationId: 'registerUser',
        summary: 'Create an account',
        description:
          'Creates a guest account and emails a link to verify the address (the account can sign in before ' +
          'it is verified). 409 `email_taken` when the address is registered. Rate limited per IP address ' +
          'and per email address (429 with `retry-after`).',
        security: publicSecurity,
        body: RegisterBody,
        response: { 201: described(UserSchema, 'The new account'), ...problemResponses(400, 409, 429) },
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
        operationId: 'login',
        summary: 'Sign in',
        description:
          'Exchanges email and password for a short-lived access token (send it as ' +
          '`Authorization: Bearer <accessToken>`) and a single-use refresh token. A wrong password and an ' +
          'unknown email answer the same 401 `invalid_credentials`; a suspended account 403 ' +
          '`account_suspended`. Rate limited per IP address and per email address.',
        security: publicSecurity,
        body: LoginBody,
        response: {
          200: described(SessionSchema, 'Signed in: the tokens and the user'),
          ...problemResponses(400, 401, 403, 429),
        },
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
        operationId: 'refreshSession',
        summary: 'Rotate the refresh token',
        description:
          'Answers a new access token and a new refresh token for the same session; the one sent stops ' +
          'working. Presenting a refresh token that was already used revokes the whole session (a stolen ' +
          'token is useless once either party uses it): 401 `refresh_token_reused`.',
        security: publicSecurity,
        body: RefreshBody,
        response: {
          200: described(SessionSchema, 'New tokens for the same session'),
          ...problemResponses(400, 401, 403, 429),
        },
      },
    },
    async (req) => auth.refresh(ctx, req.body.refreshToken, clientInfo(req)),
  );

  app.post(
    '/logout',
    {
      schema: {
        tags,
        operationId: 'logout',
        summary: 'Sign out',
        description:
          'Ends the session the refresh token belongs to: its refresh token and access tokens stop working. ' +
          'Answers 204 for an unknown or already ended session too, so it can be retried safely.',
        security: publicSecurity,
        body: RefreshBody,
        response: { 204: noContent('Signed out'), ...problemResponses(400) },
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
        operationId: 'verifyEmail',
        summary: 'Verify an email address',
        description:
          'Confirms the address with the token of the verification email (single use, time limited); an ' +
          'invalid or expired token is 400 `invalid_token`.',
        security: publicSecurity,
        body: TokenBody,
        response: { 200: described(UserSchema, 'The account, now verified'), ...problemResponses(400, 429) },
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
        operationId: 'resendVerificationEmail',
        summary: 'Send the verification email again',
        description:
          'Emails the signed-in user a new verification link. 409 ' +
          '`already_verified` when the address is verified.',
        security: bearerSecurity,
        response: { 202: described(Accepted, 'The email is on its way'), ...problemResponses(401, 409, 429) },
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
        operationId: 'requestPasswordReset',
        summary: 'Request a password-reset email',
        description:
          'Emails a password-reset link to the address if an account has it. Answers 202 whether or not ' +
          'it does, in the same time, so the endpoint tells nobody which addresses are registered.',
        security: publicSecurity,
        body: EmailBody,
        response: {
          202: described(Accepted, 'Accepted (an email is sent if the account exists)'),
          ...problemResponses(400, 429),
        },
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
        operationId: 'confirmPasswordReset',
        summary: 'Set a new password with a reset token',
        description:
          'Sets the password with the token of the reset email (single use, time limited) and signs out ' +
          'every session of the account. 400 `invalid_token` for an invalid or expired token, ' +
          '`validation_error` for a password that breaks the rules.',
        security: publicSecurity,
        body: ResetPasswordBody,
        response: {
          204: noContent('Password changed; every session signed out'),
          ...problemResponses(400, 429),
        },
      },
    },
    async (req, reply) => {
      await auth.resetPassword(ctx, req.body.token, req.body.password);
      return reply.code(204).send(null);
    },
  );
}
