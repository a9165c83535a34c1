import type { FastifyInstance } from 'fastify';

/**
 * A page of a list that has a next one (`nextCursor`) also links it: `Link: <…?cursor=…>; rel="next"`
 * (RFC 8288), with the call's own path and query. The reference is relative, so it never depends on a
 * Host header the caller chose.
 */

function nextPage(url: string, cursor: string): string {
  const next = new URL(url, 'http://relative.invalid');
  next.searchParams.set('cursor', cursor);
  return `${next.pathname}${next.search}`;
}

export function registerPaginationLinks(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload) => {
    const cursor = (payload as { nextCursor?: unknown } | null)?.nextCursor;
    if (request.method === 'GET' && typeof cursor === 'string') reply.header('link', `<${nextPage(request.url, cursor)}>; rel="next"`);
    return payload;
  });
}
