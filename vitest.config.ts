import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/spec/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
