import { declarativeAdapter } from '../declarative.js';

export const calendarAdapter = declarativeAdapter({
  feature: 'calendar',
  datasets: [
    {
      name: 'events',
      title: 'Calendar events',
      table: 'calendar.events',
      where:
        `events.organizer_account_id = :account or events.id in ` +
        `(select event_id from calendar.attendees where tenant_id = :tenant and account_id = :account)`,
      columns: {
        id: 'calendar-content',
        organizer_account_id: 'account-id',
        title: 'calendar-content',
        content: 'calendar-content',
        starts_at: 'calendar-time',
        ends_at: 'calendar-time',
        location: 'calendar-location',
      },
      orderBy: 'starts_at, id',
      erase: {
        // An event stays while its organizer or another attendee is left; one only the subject had goes.
        sharedWith:
          `select account_id from calendar.attendees where event_id = events.id ` +
          `union all select events.organizer_account_id`,
        anonymize: ['organizer_account_id'],
        note: 'Kept for the {others} invited to them; you are no longer their organizer or an attendee.',
      },
    },
    {
      name: 'attendance',
      title: 'Event attendance',
      table: 'calendar.attendees',
      where: 'attendees.account_id = :account',
      columns: { event_id: 'calendar-content', account_id: 'account-id', response: 'calendar-content' },
      orderBy: 'event_id, id',
    },
  ],
});
