const { test, expect } = require('@playwright/test');
const { open, form, send, runUntilIdle } = require('./helpers');
test('scratch', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await open(page);
  await send(page, { key: '', value: 'boom', count: '2' });
  await send(page, { key: '', value: 'ok', count: '2' });
  await runUntilIdle(page);
  const add = form(page, 'Add consumer');
  const consumer = form(page, 'Consumer');
  await add.getByRole('textbox', { name: 'group.id' }).fill('billing');
  await add.getByRole('combobox', { name: 'auto.offset.reset' }).selectOption('earliest');
  await add.getByRole('button', { name: 'Add consumer' }).click();
  await page.getByText('Failures and dead letters').click();
  const rule = form(page, 'Failure rule');
  await rule.getByRole('button', { name: 'Set failure rule' }).click();
  const policy = form(page, 'Error handling');
  await policy.getByRole('textbox', { name: 'Group' }).fill('billing');
  await policy.getByRole('button', { name: 'Set error handling' }).click();
  await consumer.getByRole('textbox', { name: 'Topics' }).fill('orders');
  await consumer.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('checkbox', { name: /Auto-consume/ }).check();
  const advance = form(page, 'Clock');
  await advance.getByRole('textbox', { name: 'Milliseconds' }).fill('5000');
  await advance.getByRole('button', { name: 'Advance clock' }).click();
  await runUntilIdle(page);
  for (let i = 0; i < 8; i++) {
    await consumer.getByRole('button', { name: 'Poll' }).click();
    await runUntilIdle(page);
    await advance.getByRole('button', { name: 'Advance clock' }).click();
    await runUntilIdle(page);
  }
  await page.screenshot({ path: '/tmp/dlt.png' });
  await page.getByRole('combobox', { name: 'Topic shown in the logs' }).selectOption('orders-dlt');
  await page.screenshot({ path: '/tmp/dlt2.png' });
});
