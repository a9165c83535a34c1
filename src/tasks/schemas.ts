import Type, { type Static } from 'typebox';
import { FeatureId } from '../catalogue/schema.js';

export const TaskParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Request id' }),
  feature: FeatureId,
});

export const UploadQuery = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[^/\\\\\\u0000-\\u001f]+$',
      description: 'File name as the subject should see it',
    }),
  },
  { additionalProperties: false },
);

export const ChangeDecision = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The change (`changes[].id` of the request)' }),
    outcome: Type.Enum(['corrected', 'refused']),
    oldValue: Type.Optional(Type.String({ maxLength: 2000, description: 'corrected: what the store held before' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'refused (and required there): why, in words the subject reads' })),
  },
  { additionalProperties: false },
);
export type ChangeDecision = Static<typeof ChangeDecision>;

export const CompleteTaskBody = Type.Object(
  {
    note: Type.String({
      minLength: 1,
      maxLength: 4000,
      description: 'What was done, e.g. "Exported from the meeting system" or "Erased in the email archive"',
    }),
    changes: Type.Optional(
      Type.Array(ChangeDecision, {
        maxItems: 50,
        description: "A correction's task (and required there): what became of each of the feature's changes",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CompleteTaskBody = Static<typeof CompleteTaskBody>;

export const UploadedFile = Type.Object({
  name: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
});
export type UploadedFile = Static<typeof UploadedFile>;

/** Examples for the document, valid against the schemas above. */
export const TASK_EXAMPLES = {
  complete: { note: 'Exported from the meeting system' },
  uploaded: { name: 'clock-in-2026.csv', mediaType: 'text/csv', size: 18231, sha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae' },
};
