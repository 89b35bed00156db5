// End-to-end tests: the release build served locally (tools/test.sh starts the server and
// sets BASE_URL), driven in Debian's Chromium. No browser is downloaded.
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: '.',
  testMatch: '*.spec.js',
  timeout: 60_000,
  retries: 0,
  workers: 1,
  outputDir: 'test-results',
  reporter: [['list'], ['json', { outputFile: process.env.E2E_JSON || 'test-results/report.json' }]],
  use: {
    baseURL: process.env.BASE_URL || 'http://127.0.0.1:8080',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
