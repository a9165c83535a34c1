import { DEMO_TENANTS } from '../../src/demo/people.js';

/**
 * The requests every scenario answers, submitted once over the HTTP API as an agent's tool would:
 * access and export for the people of `acme`, one deletion in `globex`. A deletion erases and
 * anonymises shared data, which changes what another request of the same tenant finds depending on
 * which ran first (an access result, or another erasure's receipt: "kept for the 6 other people still
 * in them" becomes 2 once others were erased). That is true of erasure, not a fault; so the deletion
 * is the only request of its tenant, and each result depends on its own request only.
 */

export interface Submitted {
  id: string;
  tenant: string;
  type: 'access' | 'export' | 'deletion';
  subject: string;
}

export type Keys = Record<string, string>;

const VERIFICATION = { method: 'sso', note: 'fault suite' };

function people(tenant: string): string[] {
  return DEMO_TENANTS.find((t) => t.id === tenant)?.people.map((p) => p.accountId) ?? [];
}

/** `perType` access and export requests (at most the people the demo has), and the deletion. */
export function plan(perType: number): Omit<Submitted, 'id'>[] {
  const acme = people('acme');
  const access = acme.slice(0, perType).map((subject) => ({ tenant: 'acme', type: 'access' as const, subject }));
  const exports = acme.slice(-perType).map((subject) => ({ tenant: 'acme', type: 'export' as const, subject }));
  const deletions = people('globex')
    .slice(0, 1)
    .map((subject) => ({ tenant: 'globex', type: 'deletion' as const, subject }));
  // Interleaved, so that every kind of work is under way from the start.
  const all: Omit<Submitted, 'id'>[] = [];
  for (let i = 0; i < perType; i++) for (const list of [access, exports, deletions]) if (list[i]) all.push(list[i]!);
  return all;
}

async function call(base: string, key: string, method: string, url: string, body?: object): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/** Submits the plan; deletions, which the tenant reviews, are approved as an agent would. */
export async function submit(base: string, keys: Keys, requests: Omit<Submitted, 'id'>[]): Promise<Submitted[]> {
  const submitted: Submitted[] = [];
  for (const r of requests) {
    const key = keys[r.tenant]!;
    const body = { type: r.type, subject: { accountId: r.subject }, verification: VERIFICATION };
    const created = await call(base, key, 'POST', '/v1/requests', body);
    if (created.status !== 202) throw new Error(`submitting ${r.type} for ${r.subject}: ${created.status}`);
    if (created.json.status === 'awaiting_approval') {
      const approved = await call(base, key, 'POST', `/v1/requests/${created.json.id}/approve`);
      if (approved.status !== 200) throw new Error(`approving ${created.json.id}: ${approved.status}`);
    }
    submitted.push({ ...r, id: created.json.id });
  }
  return submitted;
}

/** The result as the API serves it (a zip, or a deletion's receipt), or why there is none. */
export async function download(base: string, keys: Keys, request: Submitted): Promise<Buffer | string> {
  const res = await fetch(`${base}/v1/requests/${request.id}/report`, { headers: { authorization: `Bearer ${keys[request.tenant]}` } });
  return res.ok ? Buffer.from(await res.arrayBuffer()) : `HTTP ${res.status}`;
}
