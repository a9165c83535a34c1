import type { Feature } from './feature.js';
import { feature as accountLogin } from './account-login/feature.js';
import { feature as addressBook } from './address-book/feature.js';
import { feature as approval } from './approval/feature.js';
import { feature as athena } from './athena/feature.js';
import { feature as calendar } from './calendar/feature.js';
import { feature as clockIn } from './clock-in/feature.js';
import { feature as clouddrive } from './clouddrive/feature.js';
import { feature as adminConsole } from './console/feature.js';
import { feature as email } from './email/feature.js';
import { feature as im } from './im/feature.js';
import { feature as knowledge } from './knowledge/feature.js';
import { feature as liveStreaming } from './live-streaming/feature.js';
import { feature as meetings } from './meetings/feature.js';
import { feature as redEnvelope } from './red-envelope/feature.js';
import { feature as search } from './search/feature.js';
import { feature as security } from './security/feature.js';
import { feature as translation } from './translation/feature.js';
import { feature as wecode } from './wecode/feature.js';
import { feature as weform } from './weform/feature.js';

/**
 * The built-in features, one folder each, in the catalogue's order. The adapter registry, the demo
 * seeder, the report's views and the tests' per-feature expectations all come from this list.
 */
export const FEATURES: readonly Feature[] = [
  accountLogin,
  addressBook,
  im,
  email,
  calendar,
  security,
  meetings,
  liveStreaming,
  clouddrive,
  knowledge,
  clockIn,
  athena,
  translation,
  approval,
  wecode,
  weform,
  search,
  adminConsole,
  redEnvelope,
];
