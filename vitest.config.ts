import { defineConfig } from 'vitest/config'

// Integration tests share one Kafka and one InfluxDB, and some of them stop and restart those
// services on purpose, so test files run one after another on these 2-core machines.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
