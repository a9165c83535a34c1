import type { FeatureAdapter } from '../adapter.js';
import { dataset, declarativeAdapter, expression } from '../declarative.js';
import { blobDeletions, contacts, externalContacts } from './tables.js';
import { correctEntry } from './correct.js';

const profileImageName =
  `'profile-image' || case profile_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

const described = declarativeAdapter({
  feature: 'address-book',
  blobDeletions,
  datasets: [
    dataset({
      name: 'entry',
      title: 'Address book entry',
      table: contacts,
      where: 'contacts.account_id = :account',
      columns: {
        accountId: 'account-id',
        name: 'name',
        gender: 'gender',
        birthday: 'birthday',
        personalSignature: 'personal-signature',
        mobile: 'mobile-number',
        email: 'email-address',
        employeeId: 'employee-id',
        position: 'position',
        role: 'role',
        department: 'department',
        officeAddress: 'office-address',
        remarks: 'remarks',
        profileImageMediaType: 'profile-image',
        profileImageSize: 'profile-image',
        profileImageSha256: 'profile-image',
        updatedAt: null,
      },
      file: {
        blobKey: 'profileImageKey',
        name: expression(profileImageName),
        mediaType: 'profileImageMediaType',
        size: 'profileImageSize',
        sha256: 'profileImageSha256',
        item: 'profile-image',
      },
    }),
    dataset({
      // People outside the organization the subject added: the subject's own list, erased with them.
      name: 'external-contacts',
      title: 'External contacts you added',
      table: externalContacts,
      where: 'external_contacts.owner_account_id = :account',
      columns: {
        ownerAccountId: 'account-id',
        name: 'name',
        company: null,
        position: 'position',
        mobile: 'mobile-number',
        email: 'email-address',
        remarks: 'remarks',
        createdAt: null,
      },
      orderBy: ['createdAt', 'id'],
    }),
  ],
});

/** The declarative adapter, and corrections of the subject's entry (correct.ts). */
export const addressBookAdapter: FeatureAdapter = { ...described, correct: correctEntry };
