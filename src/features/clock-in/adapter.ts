import { dataset, declarativeAdapter, expression } from '../declarative.js';
import { blobDeletions, profiles, records } from './tables.js';

/** A readable file name for a face image: the time of the clock-in and the image type. */
const faceImageName =
  `'face-image-' || to_char(clocked_at at time zone 'UTC', 'YYYYMMDD-HH24MISS') || '-' || left(id::text, 8) || ` +
  `case face_image_media_type when 'image/png' then '.png' when 'image/jpeg' then '.jpg' else '' end`;

export const clockInAdapter = declarativeAdapter({
  feature: 'clock-in',
  blobDeletions,
  datasets: [
    dataset({
      name: 'profile',
      title: 'Clock-in profile',
      table: profiles,
      where: 'profiles.account_id = :account',
      columns: {
        accountId: 'account-id',
        name: 'name',
        department: 'department',
        employeeId: 'employee-id',
        workAddress: 'work-address',
      },
    }),
    dataset({
      name: 'records',
      title: 'Clock-in and clock-out records',
      table: records,
      where: 'records.account_id = :account',
      // The catalogue names no item for the time, direction and method of a clock-in itself.
      columns: {
        accountId: 'account-id',
        clockedAt: null,
        direction: null,
        method: null,
        latitude: 'precise-location',
        longitude: 'precise-location',
        deviceName: 'device-information',
        deviceModel: 'device-information',
        os: 'device-information',
        faceImageMediaType: 'face-image',
        faceImageSha256: 'face-image',
        faceImageSize: 'face-image',
      },
      orderBy: ['clockedAt', 'id'],
      file: {
        blobKey: 'faceImageKey',
        name: expression(faceImageName),
        mediaType: 'faceImageMediaType',
        size: 'faceImageSize',
        sha256: 'faceImageSha256',
        item: 'face-image',
      },
    }),
  ],
});
