// Measures the page's performance budgets in headless Chromium and prints the figures
// (a benchmark, not a test: `tools/bench-ui.sh` runs it against the release build).
//   node tests/e2e/bench/ui-budgets.js http://127.0.0.1:8096/
const { chromium } = require('playwright-core');

const base = process.argv[2] || 'http://127.0.0.1:8096/';
const args = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const median = (values) => percentile(values, 50);
const round = (x) => Math.round(x * 100) / 100;

async function fresh(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page };
}

async function send(page, { topic, key = '', count, producer = '1' }) {
  const form = page.getByRole('form', { name: 'Send records' });
  await form.getByRole('combobox', { name: 'Producer' }).selectOption(producer);
  await form.getByRole('combobox', { name: 'Topic' }).selectOption(topic);
  await form.getByRole('textbox', { name: 'Key', exact: true }).fill(key);
  await form.getByRole('textbox', { name: 'Count (burst)' }).fill(String(count));
  await form.getByRole('button', { name: 'Send' }).click();
}

async function runUntilIdle(page) {
  const button = page.getByRole('button', { name: 'Run until idle' });
  if (await button.isEnabled()) await button.click();
  await button.waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelector('button[aria-label="Run until idle"]').disabled, null, { timeout: 600_000 });
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
  const figures = {};

  // 1. Navigation to an interactive page (the Step forward button is rendered and the
  //    session loaded from IndexedDB), 7 fresh profiles.
  const loads = [];
  for (let i = 0; i < (process.env.LOADS ? Number(process.env.LOADS) : 7); i++) {
    const { context, page } = await fresh(browser);
    await page.goto(base);
    await page.getByRole('button', { name: 'Step forward' }).waitFor();
    loads.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  figures.navigation_to_interactive_ms = { median: round(median(loads)), max: round(Math.max(...loads)), runs: loads.map(round) };

  // 2. 200 requests in flight on 5 brokers, 3 topics x 12 partitions, animating.
  {
    const { context, page } = await fresh(browser);
    await page.goto(base);
    await page.getByRole('button', { name: 'Step forward' }).waitFor();
    const cluster = page.getByRole('form', { name: 'New cluster' });
    await cluster.getByRole('textbox', { name: 'Brokers (1-9)' }).fill('5');
    await cluster.getByRole('button', { name: 'Start new cluster' }).click();
    await page.getByRole('button', { name: 'Replace session' }).click();
    const create = page.getByRole('form', { name: 'Create topic' });
    for (const topic of ['t1', 't2', 't3']) {
      await create.getByRole('textbox', { name: 'Name' }).fill(topic);
      await create.getByRole('textbox', { name: 'Partitions' }).fill('12');
      await create.getByRole('textbox', { name: 'Replication factor' }).fill('3');
      await create.getByRole('button', { name: 'Create topic' }).click();
    }
    await runUntilIdle(page);
    if (await create.getByRole('alert').count()) throw new Error(await create.getByRole('alert').textContent());
    const addProducer = page.getByRole('form', { name: 'Add producer' });
    for (let p = 2; p <= 6; p++) await addProducer.getByRole('button', { name: 'Add producer' }).click();
    // One keyed record per partition and producer: a Produce request for each.
    const keys = [];
    for (let k = 0; keys.length < 12; k++) keys.push(`key-${k}`);
    for (let p = 1; p <= 6; p++) {
      for (const topic of ['t1', 't2', 't3']) {
        for (const key of keys) await send(page, { topic, key, count: 1, producer: String(p) });
      }
    }
    const inFlight = Number((await page.getByText(/requests in flight/).textContent()).split(' ')[0]);
    await page.getByRole('combobox', { name: 'Speed' }).selectOption('0.25');
    await page.getByRole('button', { name: 'Play' }).click();
    const frames = await page.evaluate(() => new Promise((resolve) => {
      const deltas = [];
      let last = performance.now();
      const end = last + 4000;
      const tick = (now) => {
        deltas.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick); else resolve(deltas.slice(1));
      };
      requestAnimationFrame(tick);
    }));
    await page.getByRole('button', { name: 'Pause' }).click();
    // A frame that missed its vsync shows as a delta of about two intervals; jitter of a
    // tenth of a millisecond around 16.7 ms is the display clock, not our work.
    const missed = frames.filter((d) => d > 1.5 * median(frames)).length;
    figures.animation = { in_flight_at_start: inFlight, frames: frames.length, p95_frame_ms: round(percentile(frames, 95)), median_frame_ms: round(median(frames)), missed_vsyncs: missed };
    await context.close();
  }

  // 3. One step forward or back with 100,000 records in the cluster (User Timing
  //    "kplay-step": from the key press to the rendered page).
  {
    const { context, page } = await fresh(browser);
    await page.goto(base);
    await page.getByRole('button', { name: 'Step forward' }).waitFor();
    await send(page, { topic: 'orders', count: 100000 });
    await runUntilIdle(page);
    await send(page, { topic: 'orders', key: 'x', count: 1 });
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step forward' }).click();
    await page.getByRole('heading', { name: 'Kafka Playground' }).click();
    await page.evaluate(() => performance.clearMeasures('kplay-step'));
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press(i % 2 === 0 ? 'ArrowLeft' : 'ArrowRight');
      await page.waitForTimeout(30);
    }
    const steps = await page.evaluate(() => performance.getEntriesByName('kplay-step').map((e) => e.duration));
    const records = await page.getByRole('group', { name: 'Log of partition orders-0' }).getByText(/^LEO /).textContent();
    const back = steps.filter((_, i) => i % 2 === 0);
    const forward = steps.filter((_, i) => i % 2 === 1);
    figures.step_with_100k_records = {
      samples: steps.length, p95_ms: round(percentile(steps, 95)), median_ms: round(median(steps)),
      back_p95_ms: round(percentile(back, 95)), forward_p95_ms: round(percentile(forward, 95)), orders_0: records,
    };
    await context.close();
  }

  await browser.close();
  console.log(JSON.stringify(figures, null, 2));
})();
