import type { FastifyInstance } from 'fastify';
import { Catalogue } from './schema.js';
import type { Catalogue as CatalogueData } from './schema.js';
import { json } from '../http/openapi.js';

export async function catalogueRoutes(app: FastifyInstance, catalogue: CatalogueData): Promise<void> {
  app.get(
    '/catalogue',
    {
      config: { permission: 'catalogue:read' },
      schema: {
        operationId: 'getCatalogue',
        tags: ['catalogue'],
        summary: 'The disclosure catalogue: every feature, its purpose, categories, sources and data items',
        description: 'What a request can cover and what its answer tells the subject; the example shows its first feature.',
        security: [{ apiKey: [] }],
        response: { 200: json(Catalogue, 'The catalogue', { example: { ...catalogue, features: catalogue.features.slice(0, 1) } }) },
      },
    },
    async () => catalogue,
  );
}
