import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The approval store: the feature's copy of each user, what people submitted, and each approver's step. */
export const approval = pgSchema('approval');

export const profiles = approval.table(
  'profiles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    employeeId: text('employee_id'),
    department: text('department'),
  },
  (t) => [uniqueIndex('profiles_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const submissions = approval.table(
  'submissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the applicant was erased; a submission approvers acted on stays on record for them. */
    applicantAccountId: text('applicant_account_id'),
    form: text('form', { enum: ['leave', 'expense', 'business_trip', 'purchase'] }).notNull(),
    title: text('title').notNull(),
    content: text('content').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'rejected', 'withdrawn'] }).notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('submissions_tenant_applicant_idx').on(t.tenantId, t.applicantAccountId),
    check('submissions_form_check', sql`${t.form} in ('leave', 'expense', 'business_trip', 'purchase')`),
    check('submissions_status_check', sql`${t.status} in ('pending', 'approved', 'rejected', 'withdrawn')`),
  ],
);

export const steps = approval.table(
  'steps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    submissionId: uuid('submission_id')
      .notNull()
      .references(() => submissions.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    /** Null once the approver was erased; the decision stays on the applicant's record. */
    approverAccountId: text('approver_account_id'),
    decision: text('decision', { enum: ['pending', 'approved', 'rejected'] }).notNull(),
    comment: text('comment'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('steps_submission_position_idx').on(t.submissionId, t.position),
    index('steps_tenant_approver_idx').on(t.tenantId, t.approverAccountId),
    check('steps_decision_check', sql`${t.decision} in ('pending', 'approved', 'rejected')`),
  ],
);
