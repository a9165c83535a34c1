import { dataset, declarativeAdapter, type FeatureSpec } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { REASONS, withSharedData, type Counts } from '../shared-data.js';
import { others } from '../words.js';
import { attendees, events } from './tables.js';

/** Events the subject organizes or attends. */
const eventsOf =
  `select e.id from ${tableName(events)} e where e.tenant_id = :tenant and (e.organizer_account_id = :account or e.id in ` +
  `(select ea.event_id from ${tableName(attendees)} ea where ea.tenant_id = :tenant and ea.account_id = :account))`;


const calendarSpec: FeatureSpec = {
  feature: 'calendar',
  datasets: [
    dataset({
      name: 'events',
      title: 'Calendar events',
      table: events,
      where:
        `events.organizer_account_id = :account or events.id in ` +
        `(select event_id from ${tableName(attendees)} where tenant_id = :tenant and account_id = :account)`,
      columns: {
        id: 'calendar-content',
        organizerAccountId: 'account-id',
        title: 'calendar-content',
        content: 'calendar-content',
        startsAt: 'calendar-time',
        endsAt: 'calendar-time',
        location: 'calendar-location',
      },
      orderBy: ['startsAt', 'id'],
      erase: {
        // An event stays while its organizer or another attendee is left; one only the subject had goes.
        sharedWith:
          `select account_id from ${tableName(attendees)} where event_id = events.id ` +
          `union all select events.organizer_account_id`,
        anonymize: ['organizerAccountId'],
        note: 'Kept for the {others} invited to them; you are no longer their organizer or an attendee.',
      },
    }),
    dataset({
      name: 'attendance',
      title: 'Event attendance',
      table: attendees,
      where: 'attendees.account_id = :account',
      columns: { eventId: 'calendar-content', accountId: 'account-id', response: 'calendar-content' },
      orderBy: ['eventId', 'id'],
    }),
  ],
};

/** Under the pseudonymized policy: everyone invited to the subject's events, each under a pseudonym. */
const wholeAttendeeLists: FeatureSpec = {
  ...calendarSpec,
  datasets: calendarSpec.datasets.map((d) => (d.name === 'attendance' ? { ...d, where: `attendees.event_id in (${eventsOf})` } : d)),
};

export const calendarAdapter = withSharedData({
  own: declarativeAdapter(calendarSpec),
  whole: declarativeAdapter(wholeAttendeeLists),
  space: ['event', 'events'],
  people: [
    { dataset: 'events', column: 'organizer_account_id', space: ['id'], what: 'organizers' },
    { dataset: 'attendance', column: 'account_id', space: ['event_id'], what: 'attendees' },
  ],
  leftOut: [
    {
      dataset: 'attendance',
      policies: ['own_only'],
      what: 'other attendees',
      query:
        `select a.event_id::text as space, a.account_id as person, 1 as n from ${tableName(attendees)} a ` +
        `where a.tenant_id = :tenant and a.event_id in (${eventsOf}) and a.account_id <> :account`,
      summary: ({ people, spaces }: Counts) => `${others(people)} left out of the attendee lists ${spaces}`,
      reason: REASONS.names,
    },
  ],
});
