import { REGIMES } from '../requests/deadlines.js';
import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Tenants and how each answers the catalogue's features. */

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Catalogue feature ids this tenant uses; a request without `features` covers all of them. */
  features: text('features').array().notNull(),
  /**
   * What access and export results hold of other people in shared spaces (chats, meetings, shared files):
   * own_only, or whole conversations with everyone else pseudonymized (GDPR Art. 15(4)).
   */
  sharedDataPolicy: text('shared_data_policy', { enum: ['own_only', 'pseudonymized'] }).notNull().default('own_only'),
  /** The law a request answers under unless it names one: its deadline and extension follow from it. */
  defaultRegime: text('default_regime', { enum: REGIMES }).notNull().default('gdpr'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * How a tenant answers one catalogue feature: with the built-in adapter, through the HTTP connector
 * of the feature's own service, or by hand (a support agent completes the task over the API).
 * A feature with no row uses the built-in adapter.
 */
export const tenantFeatureSettings = pgTable(
  'tenant_feature_settings',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    feature: text('feature').notNull(),
    adapter: text('adapter', { enum: ['built_in', 'http', 'manual'] }).notNull(),
    connectorUrl: text('connector_url'),
    /**
     * Shared secret for the connector's HMAC signatures, sealed (connectors/secret-sealing.ts; rows
     * from before hold it as it is until first used); never returned by the API.
     */
    connectorSecret: text('connector_secret'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.feature] })],
);

export const APPROVAL_MODES = ['auto', 'review'] as const;
/**
 * What a tenant may review: each request type before it runs, and access and export results before
 * release. Corrections are not a setting: they are always reviewed (tenants/approval.ts).
 */
export const APPROVAL_STEPS = ['access', 'export', 'deletion', 'release'] as const;

/**
 * Whether a tenant's requests of one type run at once (auto) or wait for an agent's approval
 * (review). A type without a row uses the default (tenants/approval.ts: deletions are reviewed).
 */
export const tenantApproval = pgTable(
  'tenant_approval',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    step: text('step', { enum: APPROVAL_STEPS }).notNull(),
    mode: text('mode', { enum: APPROVAL_MODES }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.step] })],
);
