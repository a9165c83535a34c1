import type { FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';

/**
 * CORS for the browser origins of CORS_ORIGINS (an admin console, say). Calls carry a bearer token,
 * never cookies, so no credentials are allowed. Without origins nothing is registered: no CORS
 * headers, and a preflight is an unknown route (404).
 */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];
/** What a page may send beyond the CORS-safelisted headers. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'If-None-Match', 'Range'];
/** What a page may read beyond the CORS-safelisted response headers. */
const EXPOSED_HEADERS = ['ETag', 'Link', 'Location', 'X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'Content-Range', 'Content-Disposition', 'WWW-Authenticate'];

export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(fastifyCors, {
    origin: [...origins],
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    // An OPTIONS call without Origin is not a browser's preflight; fastify-cors would answer it with a text/plain 400.
    strictPreflight: false,
  });
}
