/**
 * @roost/client: a typed client of the Roost REST API.
 *
 * The types (`schema.d.ts`) are generated from the OpenAPI document by openapi-typescript
 * (`npm run client` at the repository root); requests go through openapi-fetch, so every path, parameter,
 * body and response is checked by the compiler. `createRoostClient` adds what every caller needs: the
 * bearer token on each request, and login / refresh / logout that keep the session's tokens.
 *
 *   const roost = createRoostClient({ baseUrl: 'http://localhost:3000' });
 *   await roost.login({ email, password });
 *   const { data, error } = await roost.GET('/api/v1/bookings', { params: { query: { as: 'guest' } } });
 *
 * Every failure is an RFC 9457 problem: `error` is typed with its stable `code`.
 */
import createClient, { type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/** An RFC 9457 problem: `code` is stable and meant for programs, `detail` is for people. */
export type Problem = components['schemas']['Problem'];

/** The JSON body of a response object of the generated schema (whatever its JSON media type). */
type JsonBody<R> = R extends { content: infer C } ? C[keyof C] : never;

type LoginOperation = paths['/api/v1/auth/login']['post'];
export type Credentials = NonNullable<LoginOperation['requestBody']>['content']['application/json'];
/** What login and refresh return: the tokens and the signed-in user. */
export type Session = JsonBody<LoginOperation['responses'][200]>;
export type User = Session['user'];

export interface Tokens {
  accessToken: string;
  refreshToken?: string | undefined;
}

export interface RoostClientOptions {
  /** Where the API is served, e.g. `http://localhost:3000` (the paths carry `/api/v1`). */
  baseUrl: string;
  /** An access token to send as `Authorization: Bearer …` (replaced by `login`, `refresh`, `setTokens`). */
  token?: string | undefined;
  /** Extra headers for every request. */
  headers?: ClientOptions['headers'];
  /** A fetch implementation (default: the global one). */
  fetch?: ClientOptions['fetch'];
}

export function createRoostClient(options: RoostClientOptions) {
  let accessToken = options.token;
  let refreshToken: string | undefined;
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const bearer: Middleware = {
    onRequest({ request }) {
      // A header given for one request wins over the session's token.
      if (accessToken && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${accessToken}`);
      }
      return request;
    },
  };
  client.use(bearer);

  const keep = (session: Session | undefined) => {
    if (session) {
      accessToken = session.accessToken;
      refreshToken = session.refreshToken;
    }
  };

  const session = {
    /** Use these tokens from now on (e.g. restored from storage); undefined signs out locally. */
    setTokens(tokens: Tokens | undefined) {
      accessToken = tokens?.accessToken;
      refreshToken = tokens?.refreshToken;
    },
    /** POST /api/v1/auth/login; on success the client keeps the session's tokens. */
    async login(credentials: Credentials) {
      const result = await client.POST('/api/v1/auth/login', { body: credentials });
      keep(result.data);
      return result;
    },
    /** POST /api/v1/auth/refresh with the kept refresh token; on success keeps the rotated pair. */
    async refresh() {
      if (!refreshToken) throw new Error('refresh(): no refresh token (log in first)');
      const result = await client.POST('/api/v1/auth/refresh', { body: { refreshToken } });
      keep(result.data);
      return result;
    },
    /** POST /api/v1/users/me/become-host; on success sends the new access token (role `host`) from now on. */
    async becomeHost() {
      const result = await client.POST('/api/v1/users/me/become-host');
      if (result.data) accessToken = result.data.accessToken;
      return result;
    },
    /** POST /api/v1/auth/logout (ends the session on the server) and forgets the tokens. */
    async logout() {
      if (!refreshToken) throw new Error('logout(): no refresh token (log in first)');
      const result = await client.POST('/api/v1/auth/logout', { body: { refreshToken } });
      accessToken = undefined;
      refreshToken = undefined;
      return result;
    },
  };
  const roost = Object.assign(client, session);
  Object.defineProperties(roost, {
    accessToken: { get: () => accessToken, enumerable: true },
    refreshToken: { get: () => refreshToken, enumerable: true },
  });
  return roost as typeof roost & {
    /** The access token sent with each request (undefined: requests are anonymous). */
    readonly accessToken: string | undefined;
    /** The refresh token of the session (kept by login and refresh, forgotten by logout). */
    readonly refreshToken: string | undefined;
  };
}

export type RoostClient = ReturnType<typeof createRoostClient>;

/** Thrown by `unwrap` when the API answered with a problem. */
export class RoostProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly response: Response,
  ) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'RoostProblemError';
  }
}

/**
 * The data of a successful result, or a RoostProblemError with the problem:
 * `const me = unwrap(await roost.GET('/api/v1/users/me'))`.
 */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  result: R,
): NonNullable<R['data']> {
  if (result.error === undefined) return result.data as NonNullable<R['data']>;
  const error = result.error as unknown;
  if (isProblem(error)) throw new RoostProblemError(error, result.response);
  throw new Error(`${result.response.status} ${result.response.statusText}: ${JSON.stringify(error)}`);
}

/** Whether a value has the shape of a Roost problem (status and code). */
export function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).status === 'number' &&
    typeof (value as Problem).code === 'string'
  );
}
