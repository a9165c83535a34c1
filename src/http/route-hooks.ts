import type { RouteOptions } from 'fastify';

type HookName = 'preHandler' | 'onSend';

/**
 * Adds a hook to one route, from an `onRoute` hook: a hook that only some routes need then costs the
 * others nothing, where a scope's hook runs on every call. It runs after the scope's hooks and the
 * route's own. A new array each time: fastify's HEAD route for a GET starts from a copy of the GET's options.
 */
export function addRouteHook<N extends HookName>(route: RouteOptions, name: N, hook: NonNullable<RouteOptions[N]>): void {
  const own = route[name];
  const hooks = [own ?? [], hook].flat();
  (route as Record<HookName, unknown>)[name] = hooks;
}
