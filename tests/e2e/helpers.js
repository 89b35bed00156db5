// What the end-to-end tests share: watching the console, opening the page, and the ways a
// person drives it (by roles and accessible names).
const { expect } = require('@playwright/test');

/** Collects console errors and page errors; every test ends with none. */
function watchConsole(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return errors;
}

async function open(page) {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Kafka Playground', level: 1 })).toBeVisible();
  await expect(page.getByText('Saved in this browser.')).toBeVisible();
}

const form = (page, name) => page.getByRole('form', { name });
const clock = (page) => page.getByRole('status', { name: 'Position in time' });
const strip = (page, partition) => page.getByRole('group', { name: `Log of partition ${partition}` });

async function send(page, { topic = 'orders', key = '', value = 'v', count = '1' } = {}) {
  const f = form(page, 'Send records');
  await f.getByRole('combobox', { name: 'Topic' }).selectOption(topic);
  await f.getByRole('textbox', { name: 'Key', exact: true }).fill(key);
  await f.getByRole('textbox', { name: 'Value' }).fill(value);
  await f.getByRole('textbox', { name: 'Count (burst)' }).fill(count);
  await f.getByRole('button', { name: 'Send' }).click();
}

async function runUntilIdle(page) {
  const button = page.getByRole('button', { name: 'Run until idle' });
  if (await button.isEnabled()) await button.click();
  await expect(button).toBeDisabled();
}

async function createTopic(page, name, partitions, rf) {
  const f = form(page, 'Create topic');
  await f.getByRole('textbox', { name: 'Name' }).fill(name);
  await f.getByRole('textbox', { name: 'Partitions' }).fill(String(partitions));
  await f.getByRole('textbox', { name: 'Replication factor' }).fill(String(rf));
  await f.getByRole('button', { name: 'Create topic' }).click();
}

/** The moment shown ("move N") and what is drawn: the diagram and the log strips. */
async function picture(page) {
  return [
    await page.getByRole('group', { name: 'Cluster diagram' }).innerHTML(),
    await page.locator('.strips').innerHTML(),
    (await clock(page).textContent()).split(' of ')[0],
  ];
}

module.exports = { watchConsole, open, form, clock, strip, send, runUntilIdle, createTopic, picture };
