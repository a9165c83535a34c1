import Type, { type Static } from 'typebox';
import { KEY_ROLES } from './principal.js';
import { ref } from '../http/openapi.js';

/** API key schemas, written once: validation, types and OpenAPI. */

export const KeyRole = Type.Enum([...KEY_ROLES], {
  description: "admin: everything, including keys and the tenant's configuration; agent: works the tenant's requests",
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Who or what uses the key, e.g. "support team" or "admin console"' }),
    role: KeyRole,
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ApiKeyView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  name: Type.String(),
  role: KeyRole,
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'To the minute' }),
}, { $id: 'ApiKey', description: 'An API key as listed: never the key itself' });
export type ApiKeyView = Static<typeof ApiKeyView>;

export const CreatedApiKey = Type.Object({
  ...ApiKeyView.properties,
  key: Type.String({ description: 'The key itself: shown in this answer only, stored hashed' }),
});
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyList = Type.Object({ items: Type.Array(ref(ApiKeyView)) });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const ApiKeyParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'API key id' }) });

const KEY_EXAMPLE = {
  id: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
  prefix: 'dsar_3kq9',
  name: 'support team',
  role: 'agent',
  createdAt: '2026-12-01T09:00:00.000Z',
  lastUsedAt: '2026-12-05T10:00:00.000Z',
};
/** Examples for the document, valid against the schemas above. */
export const KEY_EXAMPLES = {
  create: { name: 'support team', role: 'agent' },
  created: { ...KEY_EXAMPLE, lastUsedAt: null, key: 'dsar_3kq9Xw2rT8mB5nV1cZ7yL4pQ6sD0fG9hJ' },
  list: { items: [KEY_EXAMPLE] },
};
