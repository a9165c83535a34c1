import type { Sql } from '../db/client.js';

/**
 * Who a request is about, when the requester knows the subject by email or mobile number rather than
 * by account id. Looks in the two stores that hold contact details of accounts: the login accounts
 * (account-login) and the address book.
 */

export type SubjectResolution = { kind: 'found'; accountId: string } | { kind: 'none' } | { kind: 'several'; count: number };

export interface SubjectIdentifiers {
  accountId?: string;
  email?: string;
  mobile?: string;
}

/**
 * Mobile numbers are written many ways ("+49 (151) 2345-1001"): spaces, dashes and parentheses
 * are dropped on both sides before comparing. Kept in step with the expression indexes of both stores.
 */
const MOBILE_FORMATTING = /[\s()-]/g;
const NORMALIZED_MOBILE = (column: string) => `regexp_replace(${column}, '[[:space:]()-]', '', 'g')`;

export async function resolveSubject(sql: Sql, tenantId: string, by: SubjectIdentifiers): Promise<SubjectResolution> {
  // A subject without data in any store must still get a complete (empty) result, so an account id is taken as given.
  if (by.accountId) return { kind: 'found', accountId: by.accountId };
  const accountIds = by.email ? await byEmail(sql, tenantId, by.email) : by.mobile ? await byMobile(sql, tenantId, by.mobile) : [];
  if (accountIds.length === 0) return { kind: 'none' };
  if (accountIds.length > 1) return { kind: 'several', count: accountIds.length };
  return { kind: 'found', accountId: accountIds[0]! };
}

async function byEmail(sql: Sql, tenantId: string, email: string): Promise<string[]> {
  return accountsWhere(sql, 'lower(email) = lower($2)', [tenantId, email.trim()]);
}

async function byMobile(sql: Sql, tenantId: string, mobile: string): Promise<string[]> {
  const normalized = mobile.replace(MOBILE_FORMATTING, '');
  if (normalized === '') return [];
  return accountsWhere(sql, `${NORMALIZED_MOBILE('mobile')} = $2`, [tenantId, normalized]);
}

/** Distinct account ids, across both stores, of the rows matching `condition` ($1 tenant, $2 the value). */
async function accountsWhere(sql: Sql, condition: string, values: string[]): Promise<string[]> {
  const rows = await sql.unsafe<{ account_id: string }[]>(
    `select account_id from account_login.accounts where tenant_id = $1 and ${condition} ` +
      `union select account_id from address_book.contacts where tenant_id = $1 and ${condition} order by 1`,
    values,
  );
  return rows.map((r) => r.account_id);
}
