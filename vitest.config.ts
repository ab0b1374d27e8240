import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = fileURLToPath(new URL('./src/index.ts', import.meta.url))

export default defineConfig({
  resolve: { alias: { kspec: src } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', './src/report/summary-reporter.ts'],
  },
})
