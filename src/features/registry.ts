import type { FeatureId } from '../catalogue/schema.js';
import type { FeatureAdapter } from './adapter.js';
import { accountLoginAdapter } from './account-login/adapter.js';
import { addressBookAdapter } from './address-book/adapter.js';
import { approvalAdapter } from './approval/adapter.js';
import { athenaAdapter } from './athena/adapter.js';
import { calendarAdapter } from './calendar/adapter.js';
import { clockInAdapter } from './clock-in/adapter.js';
import { clouddriveAdapter } from './clouddrive/adapter.js';
import { consoleAdapter } from './console/adapter.js';
import { emailAdapter } from './email/adapter.js';
import { imAdapter } from './im/adapter.js';
import { knowledgeAdapter } from './knowledge/adapter.js';
import { liveStreamingAdapter } from './live-streaming/adapter.js';
import { meetingsAdapter } from './meetings/adapter.js';
import { redEnvelopeAdapter } from './red-envelope/adapter.js';
import { searchAdapter } from './search/adapter.js';
import { securityAdapter } from './security/adapter.js';
import { translationAdapter } from './translation/adapter.js';
import { wecodeAdapter } from './wecode/adapter.js';
import { weformAdapter } from './weform/adapter.js';

/** Adapters that ship with the service; a feature without one is reported as not automated. */
export const builtInAdapters: ReadonlyMap<FeatureId, FeatureAdapter> = new Map(
  [
    accountLoginAdapter,
    addressBookAdapter,
    imAdapter,
    emailAdapter,
    calendarAdapter,
    securityAdapter,
    meetingsAdapter,
    liveStreamingAdapter,
    clouddriveAdapter,
    knowledgeAdapter,
    clockInAdapter,
    athenaAdapter,
    translationAdapter,
    approvalAdapter,
    wecodeAdapter,
    weformAdapter,
    searchAdapter,
    consoleAdapter,
    redEnvelopeAdapter,
  ].map((a) => [a.feature, a]),
);
