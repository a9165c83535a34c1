import { sql } from 'drizzle-orm';
import { check, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The work calendar store: events and who attends them. */
export const calendar = pgSchema('calendar');

export const events = calendar.table(
  'events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the organizer was erased; the event stays for its attendees. */
    organizerAccountId: text('organizer_account_id'),
    title: text('title').notNull(),
    content: text('content'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    location: text('location'),
  },
  (t) => [
    index('events_tenant_organizer_idx').on(t.tenantId, t.organizerAccountId),
    check('events_time_check', sql`${t.endsAt} >= ${t.startsAt}`),
  ],
);

export const attendees = calendar.table(
  'attendees',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    response: text('response', { enum: ['pending', 'accepted', 'tentative', 'declined'] }).notNull().default('pending'),
  },
  (t) => [
    uniqueIndex('attendees_event_account_idx').on(t.eventId, t.accountId),
    index('attendees_tenant_account_idx').on(t.tenantId, t.accountId),
    check('attendees_response_check', sql`${t.response} in ('pending', 'accepted', 'tentative', 'declined')`),
  ],
);
