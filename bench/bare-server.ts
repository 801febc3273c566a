/**
 * The baseline of `/health/live`: a hello-world Fastify 5 (no logger, no plugins) that answers
 * `GET /health/live` with the very headers and body the application sent on its own `/health/live`
 * (read by the bench from a real response and passed in BARE_RESPONSE as JSON), set statically.
 * `node --import tsx bench/bare-server.ts`; listens on 127.0.0.1:BARE_PORT.
 */
import Fastify from 'fastify';

const spec = JSON.parse(process.env['BARE_RESPONSE'] ?? '{}') as {
  headers?: Record<string, string>;
  body?: string;
};
const headers = spec.headers ?? {};
const body = spec.body ?? '{"status":"ok"}';
const app = Fastify({ logger: false });
app.get('/health/live', (_req, reply) => {
  reply.headers(headers);
  reply.send(body);
});
await app.listen({ host: '127.0.0.1', port: Number(process.env['BARE_PORT'] ?? 0) });
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
