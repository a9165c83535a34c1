import type { Feature } from '../feature.js';
import { calendarAdapter } from './adapter.js';
import { seedCalendar } from './demo.js';
import { attendees, events } from './tables.js';
import { calendarAgenda } from './view.js';

export const feature: Feature = {
  id: 'calendar',
  tables: [events, attendees],
  adapter: calendarAdapter,
  demo: { round: 1, seed: seedCalendar },
  view: calendarAgenda,
};
