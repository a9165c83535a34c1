import { defineConfig } from 'drizzle-kit';

// One migration history for every module's tables and every built-in feature store.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/**/tables.ts'],
  out: './drizzle',
});
