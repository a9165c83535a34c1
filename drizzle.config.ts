import { defineConfig } from 'drizzle-kit';

// One migration history for the core tables and every built-in feature store.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/**/tables.ts'],
  out: './drizzle',
});
