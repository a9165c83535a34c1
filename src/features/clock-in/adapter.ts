import { declarativeAdapter } from '../declarative.js';

/** A readable file name for a face image: the time of the clock-in and the image type. */
const faceImageName =
  `'face-image-' || to_char(clocked_at at time zone 'UTC', 'YYYYMMDD-HH24MISS') || '-' || left(id::text, 8) || ` +
  `case face_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

export const clockInAdapter = declarativeAdapter({
  feature: 'clock-in',
  blobDeletions: 'clock_in.blob_deletions',
  datasets: [
    {
      name: 'profile',
      title: 'Clock-in profile',
      table: 'clock_in.profiles',
      where: 'profiles.account_id = :account',
      columns: {
        account_id: 'account-id',
        name: 'name',
        department: 'department',
        employee_id: 'employee-id',
        work_address: 'work-address',
      },
    },
    {
      name: 'records',
      title: 'Clock-in and clock-out records',
      table: 'clock_in.records',
      where: 'records.account_id = :account',
      // The catalogue names no item for the time, direction and method of a clock-in itself.
      columns: {
        account_id: 'account-id',
        clocked_at: null,
        direction: null,
        method: null,
        latitude: 'precise-location',
        longitude: 'precise-location',
        device_name: 'device-information',
        device_model: 'device-information',
        os: 'device-information',
        face_image_media_type: 'face-image',
        face_image_sha256: 'face-image',
        face_image_size: 'face-image',
      },
      orderBy: 'clocked_at, id',
      file: {
        blobKey: 'face_image_key',
        name: faceImageName,
        mediaType: 'face_image_media_type',
        size: 'face_image_size',
        sha256: 'face_image_sha256',
        item: 'face-image',
      },
    },
  ],
});
