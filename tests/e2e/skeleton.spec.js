// A learner opens the page, produces a keyed record, reloads, and finds it still there.
const { test, expect } = require('@playwright/test');
const path = require('path');

const artifacts = path.join(__dirname, 'artifacts');

test('a produced record lands on Kafka\'s partition and survives a reload', async ({ page }) => {
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Kafka Playground', level: 1 })).toBeVisible();
  const table = page.getByRole('table', { name: 'Partitions of orders' });
  await expect(table).toBeVisible();
  await expect(page.getByText(/Saved in this browser/)).toBeVisible();

  // "alice": toPositive(murmur2("alice")) % 3 = 0 (kplay partition --partitions 3 alice).
  await page.getByLabel('Key').fill('alice');
  await page.getByLabel('Value').fill('pizza');
  await page.getByRole('button', { name: 'Produce' }).click();

  await expect(page.getByRole('status').filter({ hasText: 'Acknowledged' })).toHaveText(
    'Acknowledged: the record is at orders-0 offset 0.',
  );
  const row = (name) => table.getByRole('row', { name: new RegExp(`^${name} `) });
  // Records, end offset and high watermark of orders-0 are all 1 now.
  await expect(row('orders-0').getByRole('cell').nth(3)).toHaveText('1');
  await expect(row('orders-0').getByRole('cell').nth(5)).toHaveText('1');
  await expect(row('orders-1').getByRole('cell').nth(3)).toHaveText('0');
  await expect(page.getByText(/Saved in this browser \(5 entries\)/)).toBeVisible();

  await page.reload();
  await expect(table).toBeVisible();
  await expect(row('orders-0').getByRole('cell').nth(3)).toHaveText('1');
  await expect(row('orders-0').getByRole('cell').nth(5)).toHaveText('1');
  await page.screenshot({ path: path.join(artifacts, 'skeleton-after-reload.png'), fullPage: true });

  expect(consoleErrors).toEqual([]);
});

test('every control has an accessible name', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Produce' })).toBeEnabled();
  await expect(page.getByRole('textbox', { name: 'Key' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Value' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Broker 1' })).toBeVisible();
  await expect(page.getByRole('listitem', { name: 'Broker 3' })).toBeVisible();
});
