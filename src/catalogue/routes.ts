import type { FastifyInstance } from 'fastify';
import { Catalogue } from './schema.js';
import type { Catalogue as CatalogueData } from './schema.js';

export async function catalogueRoutes(app: FastifyInstance, catalogue: CatalogueData): Promise<void> {
  app.get(
    '/catalogue',
    {
      config: { permission: 'catalogue:read' },
      schema: {
        tags: ['catalogue'],
        summary: 'The disclosure catalogue: every feature, its purpose, categories, sources and data items',
        security: [{ apiKey: [] }],
        response: { 200: Catalogue },
      },
    },
    async () => catalogue,
  );
}
