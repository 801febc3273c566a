import { Type } from 'typebox';
import { described, publicSecurity, type RoostApp } from '../../platform/http.js';

const Links = Type.Object({
  docs: Type.String({ description: 'Swagger UI: try the REST API in a browser' }),
  openapi: Type.String({ description: 'The OpenAPI document' }),
  graphql: Type.String({ description: 'GraphQL endpoint (POST)' }),
  graphiql: Type.String({ description: 'GraphiQL: try GraphQL in a browser' }),
  health: Type.String({ description: 'Readiness: the database and Redis answer' }),
  api: Type.String({ description: 'Base path of the REST API' }),
});
const Index = Type.Object({ name: Type.String(), links: Links });

const INDEX = {
  name: 'Roost API',
  links: {
    docs: '/docs',
    openapi: '/openapi.json',
    graphql: '/graphql',
    graphiql: '/graphiql',
    health: '/health/ready',
    api: '/api/v1',
  },
};

/** `GET /`: where to start, rather than a bare 404 for whoever opens the server's address. */
export async function indexRoutes(app: RoostApp) {
  app.get(
    '/',
    {
      schema: {
        tags: ['meta'],
        operationId: 'getIndex',
        security: publicSecurity,
        summary: 'Where to start',
        description:
          'Links to the interactive docs (Swagger UI), this OpenAPI document, the GraphQL endpoint and ' +
          'GraphiQL, readiness, and the base path of the REST API.',
        response: { 200: described({ ...Index, examples: [INDEX] }, 'Where things are') },
      },
    },
    async () => INDEX,
  );
}
