import { index, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The WeForm store: forms people published and the answers submitted to them. */
export const weform = pgSchema('weform');

export const forms = weform.table(
  'forms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the owner was erased; a form others answered stays for them. */
    ownerAccountId: text('owner_account_id'),
    title: text('title').notNull(),
    description: text('description'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('forms_tenant_owner_idx').on(t.tenantId, t.ownerAccountId)],
);

export const submissions = weform.table(
  'submissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    formId: uuid('form_id')
      .notNull()
      .references(() => forms.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    /** The respondent's details as the form filled them in. */
    name: text('name').notNull(),
    department: text('department'),
    employeeId: text('employee_id'),
    /** Answers by question. */
    answers: jsonb('answers').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('submissions_tenant_account_idx').on(t.tenantId, t.accountId), index('submissions_form_idx').on(t.formId)],
);
