import Type, { type Static } from 'typebox';
import { KEY_ROLES } from './principal.js';

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
});
export type ApiKeyView = Static<typeof ApiKeyView>;

export const CreatedApiKey = Type.Object({
  ...ApiKeyView.properties,
  key: Type.String({ description: 'The key itself: shown in this answer only, stored hashed' }),
});
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyView) });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const ApiKeyParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'API key id' }) });
