// The API's types as a client generates them (openapi-typescript) from the committed document.
// `npm run openapi` writes them to openapi/client.d.ts beside the document (this file, run as a
// script); test/contract.test.ts checks that file equals a fresh generation and drives a real
// server with a client typed by it (openapi-fetch), so `npm run typecheck` fails when a change
// of the contract breaks clients.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

export const DOCUMENT = new URL('../../openapi/openapi.json', import.meta.url);
export const CLIENT_TYPES = new URL('../../openapi/client.d.ts', import.meta.url);

/**
 * What the openapi-typescript CLI prints for the document with its default options. Through the API,
 * not the CLI: the CLI would also read a project's Redocly config (its `apis` would replace the input).
 */
export async function generateClientTypes(): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(DOCUMENT, { silent: true }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeFile(CLIENT_TYPES, await generateClientTypes());
