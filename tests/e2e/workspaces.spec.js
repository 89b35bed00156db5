// Workspaces, export / import and share links, driven as a person would.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');
const { watchConsole, open, clock, send, runUntilIdle, picture } = require('./helpers');

const dialog = (page) => page.getByRole('dialog', { name: 'Workspaces' });
const rows = (page) => dialog(page).getByRole('table').getByRole('row');

async function openWorkspaces(page) {
  await page.getByRole('button', { name: 'Workspaces' }).click();
  await expect(dialog(page)).toBeVisible();
}

async function importFile(page, name, text) {
  await dialog(page).getByLabel('Import JSON file').setInputFiles({
    name, mimeType: 'application/json', buffer: Buffer.from(text),
  });
}

/** A session with a keyed record, looked at two moves before its end. */
async function buildScenario(page) {
  await send(page, { key: 'alice', value: 'pizza' });
  await runUntilIdle(page);
  await page.getByRole('button', { name: 'Step back' }).click();
  await page.getByRole('button', { name: 'Step back' }).click();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  return picture(page);
}

test('a reload, and switching between workspaces, come back to the same picture and move', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  const built = await buildScenario(page);
  await page.reload();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  expect(await picture(page)).toEqual(built);

  await openWorkspaces(page);
  await expect(rows(page)).toHaveCount(2); // header + "My cluster"
  await expect(rows(page).nth(1)).toContainText('My cluster (open)');
  await dialog(page).getByRole('button', { name: 'New workspace' }).click();
  await expect(dialog(page).getByRole('status')).toHaveText('Created and opened "Cluster 2".');
  await expect(rows(page)).toHaveCount(3);
  await dialog(page).getByRole('button', { name: 'Rename Cluster 2' }).click();
  await dialog(page).getByRole('textbox', { name: 'New name' }).fill('Lesson 2');
  await dialog(page).getByRole('button', { name: 'Save name' }).click();
  await expect(dialog(page).getByRole('row', { name: /Lesson 2 \(open\)/ })).toBeVisible();
  await dialog(page).getByRole('button', { name: 'Duplicate Lesson 2' }).click();
  await expect(dialog(page).getByRole('row', { name: /Lesson 2 \(copy\)/ })).toBeVisible();
  await expect(rows(page)).toHaveCount(4);
  await page.screenshot({ path: path.join(__dirname, 'artifacts', 'workspaces-dialog.png') });

  await dialog(page).getByRole('button', { name: 'Open My cluster' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Opened workspace "My cluster".' })).toBeVisible();
  expect(await picture(page)).toEqual(built);

  await openWorkspaces(page);
  await dialog(page).getByRole('button', { name: 'Delete Lesson 2 (copy)' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete workspace "Lesson 2 (copy)"?' });
  await expect(confirm).toBeVisible();
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await expect(rows(page)).toHaveCount(4);
  await dialog(page).getByRole('button', { name: 'Delete Lesson 2 (copy)' }).click();
  await confirm.getByRole('button', { name: 'Delete workspace' }).click();
  await expect(rows(page)).toHaveCount(3);
  await expect(dialog(page).getByRole('row', { name: /Lesson 2 \(copy\)/ })).toHaveCount(0);
  await dialog(page).getByRole('button', { name: 'Close' }).click();

  // After a reload the last workspace used is open again, exactly as it was.
  await page.reload();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  expect(await picture(page)).toEqual(built);
  expect(errors).toEqual([]);
});

test('export, then import: broken files are refused with the reason and change nothing', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  const built = await buildScenario(page);
  await openWorkspaces(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog(page).getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('My-cluster.kafka-playground.json');
  const exported = fs.readFileSync(await download.path(), 'utf8');
  const scenario = JSON.parse(exported);
  expect(scenario.version).toBe(1);
  expect(scenario.entries.some((e) => e.type === 'produce' && e.key === 'alice')).toBe(true);

  const broken = [
    ['not-json.json', '{"version": 1, "seed": ', /not a valid scenario: EOF while parsing/],
    ['future.json', '{"version": 7, "seed": 1}', /scenario version 7 is not supported/],
    ['unknown.json', '{"version": 1, "seed": 1, "entries": [{"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 1}, {"type": "teleport"}]}', /entries\[1\]: unknown command type "teleport"/],
    ['bounds.json', '{"version": 1, "seed": 1, "entries": [{"type": "create_topic", "name": "t", "partitions": 1, "replication_factor": 9}]}', /entries\[0\]: InvalidReplicationFactor/],
    ['brokers.json', '{"version": 1, "seed": 1, "config": {"brokers": 40}}', /config: /],
  ];
  for (const [name, text, reason] of broken) {
    await importFile(page, name, text);
    const alert = dialog(page).getByRole('alert');
    await expect(alert).toContainText(`Import failed: ${name}: `);
    await expect(alert).toContainText(reason);
    await expect(alert).toContainText('Nothing was stored');
    await expect(rows(page)).toHaveCount(2);
  }
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  expect(await picture(page)).toEqual(built);

  await openWorkspaces(page);
  await importFile(page, 'lesson.json', exported);
  await expect(dialog(page)).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Imported lesson.json as a new workspace.' })).toBeVisible();
  expect(await picture(page)).toEqual(built);
  await openWorkspaces(page);
  await expect(rows(page)).toHaveCount(3);
  expect(errors).toEqual([]);
});

test('a share link opens an identical session as a new workspace', async ({ page, browser }) => {
  const errors = watchConsole(page);
  await open(page);
  const built = await buildScenario(page);
  await openWorkspaces(page);
  await dialog(page).getByRole('button', { name: 'Share link' }).click();
  const link = await dialog(page).getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(link).toMatch(/\/#scenario=[A-Za-z0-9_-]+$/);
  await dialog(page).getByRole('button', { name: 'Close' }).click();

  // Someone else's browser: nothing stored there yet.
  const other = await browser.newContext();
  const visitor = await other.newPage();
  const visitorErrors = watchConsole(visitor);
  await visitor.goto(link);
  await expect(visitor.getByText('Saved in this browser.')).toBeVisible();
  await expect(visitor.getByRole('status').filter({ hasText: 'The shared session opened as a new workspace' })).toBeVisible();
  expect(await picture(visitor)).toEqual(built);
  expect(new URL(visitor.url()).hash).toBe('');
  await visitor.getByRole('button', { name: 'Workspaces' }).click();
  await expect(visitor.getByRole('dialog', { name: 'Workspaces' }).getByRole('row', { name: /My cluster \(shared\) \(open\)/ })).toBeVisible();
  await other.close();

  // Opened in the same browser, it is added; the original stays as it was.
  await page.goto(link);
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  expect(await picture(page)).toEqual(built);
  await openWorkspaces(page);
  await expect(rows(page)).toHaveCount(3);
  await dialog(page).getByRole('button', { name: 'Open My cluster', exact: true }).click();
  await expect(dialog(page)).toBeHidden();
  expect(await picture(page)).toEqual(built);

  // A damaged link says so and stores nothing.
  await page.goto(link.replace(/#scenario=.*/, '#scenario=AAAA'));
  await expect(page.getByRole('status').filter({ hasText: 'The share link could not be opened: the share link is damaged' })).toBeVisible();
  await openWorkspaces(page);
  await expect(rows(page)).toHaveCount(3);
  expect(errors).toEqual([]);
  expect(visitorErrors).toEqual([]);
});

test('a long session reopens from its packed entries, identical to the replayed one', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  const session = { version: 1, name: 'Long', seed: 5, entries: [
    { type: 'create_topic', name: 'orders', partitions: 3, replication_factor: 3 },
    { type: 'add_producer' },
    { type: 'run_until_idle' },
  ] };
  for (let i = 0; i < 1300; i++) {
    session.entries.push({ type: 'produce', topic: 'orders', key: `k${i % 17}`, value: `v${i}` });
    session.entries.push({ type: 'step', count: 3 });
  }
  session.entries.push({ type: 'run_until_idle' });
  await openWorkspaces(page);
  await importFile(page, 'long.json', JSON.stringify(session));
  await expect(page.getByRole('status').filter({ hasText: 'Imported long.json as a new workspace.' })).toBeVisible();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  const replayed = await picture(page);
  await page.reload();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  expect(await picture(page)).toEqual(replayed);
  // Stepping back to an early move shows the exact earlier cluster, and the narration
  // has every move from the first.
  await page.getByRole('slider', { name: 'Timeline' }).fill('10');
  await expect(clock(page)).toHaveText(/^move 10 of /);
  await expect(page.getByRole('list', { name: 'What happened' })).toContainText('creates topic orders');
  expect(errors).toEqual([]);
});

test('two tabs on one workspace: the other tab stops saving and says why', async ({ page, context }) => {
  const errors = watchConsole(page);
  await open(page);
  const second = await context.newPage();
  await open(second);
  await send(second, { key: 'bob', value: 'tea' });
  await expect(second.getByText('Saved in this browser.')).toBeVisible();
  const banner = page.getByRole('alert').filter({ hasText: 'changed in another tab' });
  await expect(banner).toBeVisible();
  await expect(banner.getByRole('button', { name: 'Export JSON' })).toBeVisible();
  // This tab goes on in memory and does not overwrite what the other tab saved.
  await send(page, { key: 'carol', value: 'cake' });
  await second.reload();
  await expect(second.getByText('Saved in this browser.')).toBeVisible();
  await openWorkspaces(second);
  const [download] = await Promise.all([
    second.waitForEvent('download'),
    dialog(second).getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const keys = JSON.parse(fs.readFileSync(await download.path(), 'utf8')).entries.map((e) => e.key).filter(Boolean);
  expect(keys).toEqual(['bob']);
  expect(errors).toEqual([]);
});

test('a full disk: saving stops with a banner, the page goes on, and what was saved stays', async ({ page }) => {
  const errors = watchConsole(page);
  // Once the test says so, every IndexedDB write fails as a full disk makes it fail.
  await page.addInitScript(() => {
    for (const method of ['add', 'put']) {
      const original = IDBObjectStore.prototype[method];
      IDBObjectStore.prototype[method] = function (...args) {
        if (window.__diskFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return original.apply(this, args);
      };
    }
  });
  await open(page);
  await send(page, { key: 'saved', value: 'before' });
  await runUntilIdle(page);
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  const saved = await picture(page);
  await page.evaluate(() => { window.__diskFull = true; });
  await send(page, { key: 'lost', value: 'after' });
  const banner = page.getByRole('alert').filter({ hasText: 'Your work is kept in memory only' });
  await expect(banner).toContainText('QuotaExceededError');
  // The page goes on in memory, and export keeps the whole session.
  await runUntilIdle(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    banner.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const keys = JSON.parse(fs.readFileSync(await download.path(), 'utf8')).entries.map((e) => e.key).filter(Boolean);
  expect(keys).toEqual(['saved', 'lost']);
  // What was stored before the disk filled up is intact.
  await page.evaluate(() => { window.__diskFull = false; });
  await page.reload();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
  expect(await picture(page)).toEqual(saved);
  expect(errors).toEqual([]);
});

test('without IndexedDB the page works in memory, says so, and offers export', async ({ page }) => {
  const errors = watchConsole(page);
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { get() { return undefined; } });
  });
  await page.goto('/');
  const banner = page.getByRole('alert').filter({ hasText: 'Your work is kept in memory only' });
  await expect(banner).toContainText('browser storage is unavailable');
  await send(page, { key: 'dave', value: 'soup' });
  await runUntilIdle(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    banner.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const scenario = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  expect(scenario.entries.some((e) => e.type === 'produce' && e.key === 'dave')).toBe(true);
  expect(errors).toEqual([]);
});
