import { dataset, declarativeAdapter, expression } from '../declarative.js';
import { blobDeletions, dialogs, inputs } from './tables.js';

/** A readable file name for a voice input: when it was asked. */
const voiceName = `'voice-input-' || to_char(asked_at at time zone 'UTC', 'YYYYMMDD-HH24MISS') || '-' || left(id::text, 8) || '.wav'`;

export const athenaAdapter = declarativeAdapter({
  feature: 'athena',
  blobDeletions,
  datasets: [
    dataset({
      name: 'dialogs',
      title: 'Athena dialogs',
      table: dialogs,
      where: 'dialogs.account_id = :account',
      // A dialog's title is made from its first input.
      columns: { id: null, accountId: 'account-id', title: 'input-text', startedAt: null },
      orderBy: ['startedAt', 'id'],
    }),
    dataset({
      name: 'inputs',
      title: 'What you asked Athena',
      table: inputs,
      where: 'inputs.account_id = :account',
      columns: {
        dialogId: null,
        accountId: 'account-id',
        kind: null,
        inputText: 'input-text',
        voiceMediaType: 'input-voice',
        voiceSize: 'input-voice',
        voiceSha256: 'input-voice',
        voiceDurationMs: 'input-voice',
        answer: null,
        askedAt: null,
      },
      orderBy: ['askedAt', 'id'],
      file: { blobKey: 'voiceKey', name: expression(voiceName), mediaType: 'voiceMediaType', size: 'voiceSize', sha256: 'voiceSha256', item: 'input-voice' },
    }),
  ],
});
