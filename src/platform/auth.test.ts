/**
 * Access tokens: what a verification accepts and refuses, including tokens made by another JWT
 * implementation (jose), so the check is not only "our signer agrees with our verifier".
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from './auth.js';
import { AppError } from './errors.js';

const secret = 'unit-test-secret-unit-test-secret-000000';
const tokens = createAccessTokens({ secret, issuer: 'roost', ttlSeconds: 900 });
const userId = '0195f1a2-1111-7222-8333-944445555667';
const sessionId = '0195f1a2-1111-7222-8333-944445555666';
const key = new TextEncoder().encode(secret);
const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function refusal(token: string): Promise<string> {
  try {
    await tokens.verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(401);
    return (err as AppError).code;
  }
  throw new Error('the token was accepted');
}

describe('access tokens', () => {
  it('verifies what it signs, with the configured lifetime', async () => {
    const { token, expiresIn } = await tokens.sign({ userId, sessionId });
    expect(expiresIn).toBe(900);
    expect(await tokens.verify(token)).toEqual({ userId, sessionId });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload).toMatchObject({ sub: userId, sid: sessionId, iss: 'roost' });
  });

  it('accepts an HS256 token made by another implementation', async () => {
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer('roost')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    expect(await tokens.verify(token)).toEqual({ userId, sessionId });
  });

  it('refuses forged, foreign, unsigned, expired and malformed tokens', async () => {
    const good = (await tokens.sign({ userId, sessionId })).token;
    const [h, p, s] = good.split('.') as [string, string, string];
    // Another key, a changed payload, a truncated signature.
    const otherKey = createAccessTokens({ secret: `${secret}x`, issuer: 'roost', ttlSeconds: 900 });
    expect(await refusal((await otherKey.sign({ userId, sessionId })).token)).toBe('invalid_token');
    const tampered = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: sessionId });
    expect(await refusal(`${h}.${tampered}.${s}`)).toBe('invalid_token');
    expect(await refusal(`${h}.${p}.${s.slice(0, 20)}`)).toBe('invalid_token');
    // alg "none", and an algorithm other than HS256 even when the signature is right for it.
    const claims = { sub: userId, sid: sessionId, iss: 'roost', iat: nowS(), exp: nowS() + 60 };
    expect(await refusal(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)).toBe('invalid_token');
    const hs512Input = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}`;
    const hs512 = createHmac('sha512', secret).update(hs512Input).digest('base64url');
    expect(await refusal(`${hs512Input}.${hs512}`)).toBe('invalid_token');
    // The right key, but another issuer; no expiry; a subject that is not a user id; expired.
    const sign = (c: Record<string, unknown>) => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(c)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    expect(await tokens.verify(sign(claims))).toEqual({ userId, sessionId }); // the helper signs right
    expect(await refusal(sign({ ...claims, iss: 'elsewhere' }))).toBe('invalid_token');
    const { exp: _exp, ...noExp } = claims;
    expect(await refusal(sign(noExp))).toBe('invalid_token');
    expect(await refusal(sign({ ...claims, sub: 'admin' }))).toBe('invalid_token');
    expect(await refusal(sign({ ...claims, sid: 42 }))).toBe('invalid_token');
    expect(await refusal(sign({ ...claims, iat: nowS() - 120, exp: nowS() - 60 }))).toBe('token_expired');
    expect(await refusal('not-a-token')).toBe('invalid_token');
    expect(await refusal('')).toBe('invalid_token');
  });
});
