import { declarativeAdapter } from '../declarative.js';

/** A readable file name for a voice input: when it was asked. */
const voiceName = `'voice-input-' || to_char(asked_at at time zone 'UTC', 'YYYYMMDD-HH24MISS') || '-' || left(id::text, 8) || '.wav'`;

export const athenaAdapter = declarativeAdapter({
  feature: 'athena',
  blobDeletions: 'athena.blob_deletions',
  datasets: [
    {
      name: 'dialogs',
      title: 'Athena dialogs',
      table: 'athena.dialogs',
      where: 'dialogs.account_id = :account',
      // A dialog's title is made from its first input.
      columns: { id: null, account_id: 'account-id', title: 'input-text', started_at: null },
      orderBy: 'started_at, id',
    },
    {
      name: 'inputs',
      title: 'What you asked Athena',
      table: 'athena.inputs',
      where: 'inputs.account_id = :account',
      columns: {
        dialog_id: null,
        account_id: 'account-id',
        kind: null,
        input_text: 'input-text',
        voice_media_type: 'input-voice',
        voice_size: 'input-voice',
        voice_sha256: 'input-voice',
        voice_duration_ms: 'input-voice',
        answer: null,
        asked_at: null,
      },
      orderBy: 'asked_at, id',
      file: { blobKey: 'voice_key', name: voiceName, mediaType: 'voice_media_type', size: 'voice_size', sha256: 'voice_sha256', item: 'input-voice' },
    },
  ],
});
