// Measures how long a long workspace takes to open: a 100,000-entry session (50,000 sends
// and 50,000 steps of 3 hops) is imported, then the page is reloaded and timed from
// navigation until the session is shown and interactive. Prints JSON figures.
//   node tests/e2e/bench/restore.js http://127.0.0.1:8096/
const { chromium } = require('playwright-core');

const base = process.argv[2] || 'http://127.0.0.1:8096/';
const entries = Number(process.env.ENTRIES || 100000);
const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

function longSession() {
  const session = {
    version: 1, name: 'Long session', seed: 1, entries: [
      { type: 'create_topic', name: 'orders', partitions: 3, replication_factor: 3 },
      { type: 'add_producer' },
      { type: 'run_until_idle' },
    ],
  };
  for (let i = 0; i < entries; i++) {
    session.entries.push(i % 2 === 0
      ? { type: 'produce', topic: 'orders', key: `k${i % 100}`, value: 'hello' }
      : { type: 'step', count: 3 });
  }
  session.entries.push({ type: 'run_until_idle' });
  return JSON.stringify(session);
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(base);
  await page.getByText('Saved in this browser.').waitFor();
  const text = longSession();
  await page.getByRole('button', { name: 'Workspaces' }).click();
  const started = Date.now();
  await page.getByLabel('Import JSON file').setInputFiles({ name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await page.getByText('Imported long.json as a new workspace.').waitFor({ timeout: 600_000 });
  await page.getByText('Saved in this browser.').waitFor({ timeout: 600_000 });
  const importMs = Date.now() - started;
  const opens = [];
  for (let i = 0; i < Number(process.env.RUNS || 3); i++) {
    await page.reload();
    await page.getByRole('button', { name: 'Step forward' }).waitFor({ timeout: 600_000 });
    opens.push(await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
      const now = performance.now();
      // read: the stored session (through its packed entries when it has them); replay:
      // every entry replayed and the move shown sought.
      return { total: now, read: at('kplay-open-read') - at('kplay-open-start'), replay: at('kplay-open-replayed') - at('kplay-open-read'), before: at('kplay-open-start'), after: now - at('kplay-open-replayed') };
    }));
  }
  const clock = await page.getByRole('status', { name: 'Position in time' }).textContent();
  console.log(JSON.stringify({
    entries: entries + 4, file_bytes: text.length, import_and_store_ms: importMs,
    open_ms: opens.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]))), shown: clock,
  }, null, 2));
  await browser.close();
})();
