import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './control-plane/repository/schema.ts',
  out: './control-plane/repository/migrations',
});
