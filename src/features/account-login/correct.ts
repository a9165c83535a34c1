import { checks, profileCorrector } from '../corrections/corrector.js';
import { accounts } from './tables.js';

/** Corrections of the login account: the mobile number and email address people sign in with. */
export const correctAccount = profileCorrector({
  table: accounts,
  account: 'accountId',
  items: {
    'mobile-number': { column: 'mobile', check: checks.mobile },
    'email-address': { column: 'email', check: checks.email },
  },
  refused: {
    'account-id': 'The account id identifies you across the suite and is not changed by a correction; your administrator can issue a new account',
    'welink-login-password': 'A password is not corrected by request: change it yourself in the app (Me > Settings > Account security)',
    'third-party-account': 'A linked account is not corrected by request: unlink it and link the right one in the app',
  },
});
