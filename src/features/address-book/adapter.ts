import { declarativeAdapter } from '../declarative.js';

const profileImageName =
  `'profile-image' || case profile_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

export const addressBookAdapter = declarativeAdapter({
  feature: 'address-book',
  blobDeletions: 'address_book.blob_deletions',
  datasets: [
    {
      name: 'entry',
      title: 'Address book entry',
      table: 'address_book.contacts',
      where: 'contacts.account_id = :account',
      columns: {
        account_id: 'account-id',
        name: 'name',
        gender: 'gender',
        birthday: 'birthday',
        personal_signature: 'personal-signature',
        mobile: 'mobile-number',
        email: 'email-address',
        employee_id: 'employee-id',
        position: 'position',
        role: 'role',
        department: 'department',
        office_address: 'office-address',
        remarks: 'remarks',
        profile_image_media_type: 'profile-image',
        profile_image_size: 'profile-image',
        profile_image_sha256: 'profile-image',
        updated_at: null,
      },
      file: {
        blobKey: 'profile_image_key',
        name: profileImageName,
        mediaType: 'profile_image_media_type',
        size: 'profile_image_size',
        sha256: 'profile_image_sha256',
        item: 'profile-image',
      },
    },
    {
      // People outside the organization the subject added: the subject's own list, erased with them.
      name: 'external-contacts',
      title: 'External contacts you added',
      table: 'address_book.external_contacts',
      where: 'external_contacts.owner_account_id = :account',
      columns: {
        owner_account_id: 'account-id',
        name: 'name',
        company: null,
        position: 'position',
        mobile: 'mobile-number',
        email: 'email-address',
        remarks: 'remarks',
        created_at: null,
      },
      orderBy: 'created_at, id',
    },
  ],
});
