import { declarativeAdapter, type FeatureSpec } from '../declarative.js';
import { others, REASONS, withSharedData, type Counts } from '../shared-data.js';

/** Events the subject organizes or attends. */
const eventsOf =
  `select e.id from calendar.events e where e.tenant_id = :tenant and (e.organizer_account_id = :account or e.id in ` +
  `(select ea.event_id from calendar.attendees ea where ea.tenant_id = :tenant and ea.account_id = :account))`;


const calendarSpec: FeatureSpec = {
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
        `select a.event_id::text as space, a.account_id as person, 1 as n from calendar.attendees a ` +
        `where a.tenant_id = :tenant and a.event_id in (${eventsOf}) and a.account_id <> :account`,
      summary: ({ people, spaces }: Counts) => `${others(people)} left out of the attendee lists ${spaces}`,
      reason: REASONS.names,
    },
  ],
});
