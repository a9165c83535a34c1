import { checks, profileCorrector } from '../corrections/corrector.js';
import { contacts } from './tables.js';

/**
 * Corrections of the subject's own address book entry: the profile colleagues see, the display name
 * among it. Other people's external contacts are theirs, never corrected here.
 */
export const correctEntry = profileCorrector({
  table: contacts,
  account: 'accountId',
  touched: 'updatedAt',
  items: {
    name: { column: 'name', check: checks.text(200) },
    gender: { column: 'gender', check: checks.oneOf(['female', 'male', 'undisclosed']) },
    birthday: { column: 'birthday', type: 'date', check: checks.date },
    'personal-signature': { column: 'personalSignature', check: checks.text(500) },
    'mobile-number': { column: 'mobile', check: checks.mobile },
    'email-address': { column: 'email', check: checks.email },
    'employee-id': { column: 'employeeId', check: checks.text(100) },
    position: { column: 'position', check: checks.text(200) },
    role: { column: 'role', check: checks.text(200) },
    department: { column: 'department', check: checks.text(200) },
    'office-address': { column: 'officeAddress', check: checks.text(500) },
    remarks: { column: 'remarks', check: checks.text(2000) },
  },
  refused: {
    'account-id': 'The account id identifies you across the suite and is not changed by a correction; your administrator can issue a new account',
    'profile-image': 'A profile image is not corrected by request: upload the right one in the app (Me > Profile)',
  },
});
