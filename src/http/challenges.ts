import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * Every 401 says how to authenticate (RFC 9110 §11.6.1). The sign-in checks set their own challenge
 * (auth/hook.ts: `Bearer`, or `Bearer error="invalid_token"` for a refused token); a subject's deletion
 * that needs a fresh login asks for one as RFC 9470's step-up does.
 */
export function registerChallenges(app: FastifyInstance): void {
  app.addHook('onError', async (_request, reply, error) => {
    if (!(error instanceof AppError) || error.status !== 401 || reply.hasHeader('www-authenticate')) return;
    reply.header('www-authenticate', error.code === 'step-up-required' ? 'Bearer error="insufficient_user_authentication"' : 'Bearer');
  });
}
