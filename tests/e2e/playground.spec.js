// A learner drives the playground the way a person would: by roles and accessible names.
const { test, expect } = require('@playwright/test');
const path = require('path');

const artifacts = path.join(__dirname, 'artifacts');

const { watchConsole, open, form, clock, strip, send, runUntilIdle, createTopic, picture } = require('./helpers');

test.beforeEach(async ({ context }) => {
  // Each test starts with an empty browser profile (fresh IndexedDB).
  await context.clearCookies();
});

test('keyed records land on the partition Kafka\'s partitioner gives', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await createTopic(page, 'payments', 4, 3);
  await runUntilIdle(page);
  // toPositive(murmur2(key)) % 4, as `kplay partition --partitions 4` computes it.
  const expected = { alice: 1, bob: 2, erin: 0, frank: 3 };
  await page.getByRole('combobox', { name: 'Topic shown in the logs' }).selectOption('payments');
  for (const key of Object.keys(expected)) {
    await send(page, { topic: 'payments', key, value: `hello ${key}` });
    await runUntilIdle(page);
  }
  for (const [key, partition] of Object.entries(expected)) {
    await expect(
      strip(page, `payments-${partition}`).getByRole('button', { name: new RegExp(`offset 0, key ${key}, value hello ${key}$`) }),
    ).toBeVisible();
  }
  await expect(strip(page, 'payments-2').getByRole('button', { name: /^Record / })).toHaveCount(1);
  // The record's inspector shows why it is there: the partitioner's arithmetic.
  await strip(page, 'payments-1').getByRole('button', { name: /key alice/ }).click();
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector.locator('dt:text-is("Why this partition") + dd')).toHaveText(
    /^the default partitioner: key "alice": murmur2 = -?\d+, toPositive = \d+, \d+ % 4 = 1$/,
  );
  expect(errors).toEqual([]);
});

test('acks=all: the high watermark moves only after both followers fetched', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await send(page, { key: 'alice', value: 'pizza' }); // orders-0, as the partitioner says
  const row = strip(page, 'orders-0');
  let sawAppendedButUncommitted = false;
  for (let i = 0; i < 40 && !(await row.getByText('HW 1').isVisible()); i++) {
    if ((await row.getByText('LEO 1').isVisible()) && (await row.getByText('HW 0').isVisible())) {
      sawAppendedButUncommitted = true;
      await expect(row.getByRole('button', { name: /offset 0, key alice, value pizza, not yet committed/ })).toBeVisible();
    }
    await page.getByRole('button', { name: 'Step forward' }).click();
  }
  await expect(row.getByText('HW 1')).toBeVisible();
  expect(sawAppendedButUncommitted).toBe(true);
  // By now both followers have copied offset 0: the narration says so.
  const narration = page.getByRole('list', { name: 'What happened' });
  await expect(narration.getByText(/copies offset 0 of orders-0 from leader/)).toHaveCount(2);
  // Then each follower asks for offset 1, which the leader does not have yet: it holds
  // the fetch in its purgatory, drawn as a dot in the follower's cell and told in words.
  await runUntilIdle(page);
  await expect(page.getByRole('button', { name: /^orders-0 on broker \d: follower, .*its Fetch for offset 1 waits at the leader$/ })).toHaveCount(2);
  await page.getByRole('button', { name: /^orders-0 on broker \d: leader/ }).click();
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector.getByText(/^Waiting in the leader's fetch purgatory: the Fetch from broker \d for offset 1; the Fetch from broker \d for offset 1\./)).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByText(/Nothing is in flight: .* Meanwhile \d+ follower fetches wait at their leaders/)).toBeVisible();
  expect(errors).toEqual([]);
});

test('crashing the leader elects a new one and shrinks the ISR', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await page.getByRole('button', { name: /^orders-0 on broker \d: leader/ }).click();
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await expect(inspector.getByRole('heading', { name: 'Partition orders-0' })).toBeVisible();
  const fact = (term) => inspector.locator(`dt:text-is("${term}") + dd`);
  const leader = (await fact('Leader').textContent()).split(' ')[1];
  const sorted = async (term) => (await fact(term).textContent()).split(', ').sort().join(', ');
  expect(await sorted('In-sync replicas (ISR)')).toBe('1, 2, 3');
  const brokers = form(page, 'Brokers');
  await brokers.getByRole('combobox', { name: 'Broker' }).selectOption(leader);
  await brokers.getByRole('button', { name: 'Crash broker' }).click();
  await runUntilIdle(page);
  const advance = form(page, 'Clock');
  await advance.getByRole('textbox', { name: 'Milliseconds' }).fill('10000'); // broker.session.timeout.ms 9000
  await advance.getByRole('button', { name: 'Advance clock' }).click();
  await runUntilIdle(page);
  await page.getByRole('button', { name: /^orders-0 on broker \d: leader/ }).first().click();
  const newLeader = (await fact('Leader').textContent()).split(' ')[1];
  expect(newLeader).not.toBe(leader);
  expect(await sorted('In-sync replicas (ISR)')).toBe(['1', '2', '3'].filter((b) => b !== leader).join(', '));
  expect(await sorted('Replicas')).toBe('1, 2, 3');
  await expect(page.getByRole('button', { name: new RegExp(`^Broker ${leader} \\(down`) })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a group of two shares the partitions and shows its lag', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await send(page, { key: '', value: 'order', count: '6' });
  await runUntilIdle(page);
  const add = form(page, 'Add consumer');
  const consumer = form(page, 'Consumer');
  for (const id of ['1', '2']) {
    await add.getByRole('textbox', { name: 'group.id' }).fill('billing');
    await add.getByRole('combobox', { name: 'auto.offset.reset' }).selectOption('earliest');
    await add.getByRole('button', { name: 'Add consumer' }).click();
    await consumer.getByRole('combobox', { name: 'Consumer' }).selectOption(id);
    await consumer.getByRole('textbox', { name: 'Topics' }).fill('orders');
    await consumer.getByRole('button', { name: 'Subscribe' }).click();
    await consumer.getByRole('button', { name: 'Poll' }).click();
  }
  const advance = form(page, 'Clock');
  await advance.getByRole('textbox', { name: 'Milliseconds' }).fill('5000'); // group.initial.rebalance.delay.ms
  await advance.getByRole('button', { name: 'Advance clock' }).click();
  await runUntilIdle(page);
  for (const id of ['1', '2']) {
    await consumer.getByRole('combobox', { name: 'Consumer' }).selectOption(id);
    await consumer.getByRole('button', { name: 'Poll' }).click();
    await runUntilIdle(page);
  }
  await expect(page.getByRole('button', { name: /^Group billing \(Stable, generation \d+\)/ })).toBeVisible();
  // Every partition is owned by exactly one of the two members.
  const owners = [];
  for (const id of ['1', '2']) {
    const label = await page.getByRole('button', { name: new RegExp(`^Consumer ${id} \\(running\\)`) }).getAttribute('aria-label');
    owners.push(label.split(': ')[1]);
  }
  const owned = owners.join(', ').split(', ').sort();
  expect(owned).toEqual(['orders-0', 'orders-1', 'orders-2']);
  await page.getByRole('button', { name: /^Group billing/ }).press('Enter'); // by keyboard, as a person could
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  const lagTable = inspector.getByRole('table', { name: 'Committed offsets and lag' });
  await expect(lagTable.getByRole('row')).toHaveCount(4);
  await expect(inspector.getByText('Stable')).toBeVisible();
  expect(errors).toEqual([]);
});

test('stepping back shows the previous picture exactly, and a reload keeps the moment', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await send(page, { key: 'bob', value: 'tea', count: '3' });
  await page.getByRole('button', { name: 'Step forward' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  // The moment ("move N") and what is drawn; the session's length may grow meanwhile.
  const before = await picture(page);
  await page.keyboard.press('ArrowRight');
  await expect(clock(page)).not.toHaveText(new RegExp(`^${before[2]} `));
  const after = await picture(page);
  expect(after).not.toEqual(before);
  await page.keyboard.press('ArrowLeft');
  await expect(clock(page)).toHaveText(new RegExp(`^${before[2]} `));
  expect(await picture(page)).toEqual(before);
  // The line above the diagram says what happened at this moment: the narration's newest
  // line up to it, not what happened later.
  const narration = page.getByRole('list', { name: 'What happened' });
  const newest = (await narration.getByRole('button').first().textContent()).replace(/^#\d+ t=\d+ /, '');
  await expect(page.getByRole('region', { name: 'Cluster' }).getByRole('status')).toHaveText(newest);
  await page.reload();
  await expect(clock(page)).toHaveText(new RegExp(`^${before[2]} `));
  expect(await picture(page)).toEqual(before);
  expect(errors).toEqual([]);
});

test('playing glides a request along its link; pausing puts it back where the moment has it', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  await send(page);
  const paused = await picture(page);
  // The dot of the Produce request on its way to the leader (drawn, not announced).
  const dot = page.getByRole('group', { name: 'Cluster diagram' }).locator('.flights > g').first();
  const start = await dot.getAttribute('transform');
  // At 0.25x a hop takes 3.2 s: the dot is seen moving long before the next hop.
  await page.getByRole('combobox', { name: 'Speed' }).selectOption('0.25');
  await page.getByRole('button', { name: 'Play' }).click();
  await expect.poll(() => dot.getAttribute('transform')).not.toBe(start);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect.poll(() => dot.getAttribute('transform')).toBe(start);
  expect(await picture(page)).toEqual(paused);
  expect(errors).toEqual([]);
});

test('bad input shows Kafka\'s error next to the field and changes nothing', async ({ page }) => {
  const errors = watchConsole(page);
  await open(page);
  const moves = await clock(page).textContent();
  const create = form(page, 'Create topic');
  await createTopic(page, 'bad name!', 3, 3);
  await expect(create.getByRole('alert')).toContainText('InvalidTopicException');
  await createTopic(page, 'wide', 3, 5);
  await expect(create.getByRole('alert')).toContainText('InvalidReplicationFactor');
  await createTopic(page, 'wide', 'three', 3);
  await expect(create.getByRole('alert')).toHaveText('Partitions must be a whole number, not "three"');
  await expect(clock(page)).toHaveText(moves);
  await expect(page.getByRole('combobox', { name: 'Topic shown in the logs' }).getByRole('option')).toHaveText(['orders']);
  expect(errors).toEqual([]);
});

test('keys, help, themes, and the phone layout', async ({ page }) => {
  const errors = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await open(page);
  await send(page, { key: 'carol', value: 'cake' });
  await page.getByRole('heading', { name: 'Kafka Playground' }).click();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.keyboard.press('+');
  await expect(page.getByRole('combobox', { name: 'Speed' })).toHaveValue('2');
  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run until idle' })).toBeDisabled({ timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();
  await page.getByRole('button', { name: /^orders-1 on broker \d: leader/ }).click();
  await page.screenshot({ path: path.join(artifacts, 'playground-desktop.png') });
  await page.getByRole('button', { name: 'Theme: system' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: path.join(artifacts, 'playground-desktop-dark.png') });

  await page.setViewportSize({ width: 390, height: 844 });
  const tabs = page.getByRole('tablist', { name: 'Panels' });
  await expect(tabs).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Controls' })).toBeHidden();
  await tabs.getByRole('tab', { name: 'Controls' }).click();
  await expect(page.getByRole('complementary', { name: 'Controls' })).toBeVisible();
  await tabs.getByRole('tab', { name: 'Cluster' }).click();
  await page.screenshot({ path: path.join(artifacts, 'playground-phone.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('every control has an accessible name', async ({ page }) => {
  await open(page);
  // The workspaces dialog's controls too.
  await page.getByRole('button', { name: 'Workspaces' }).click();
  await expect(page.getByRole('dialog', { name: 'Workspaces' }).getByRole('row')).toHaveCount(2);
  const unnamed = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('button, input, select, textarea, [role="button"], [role="tab"]')];
    return controls
      .filter((el) => {
        const labelled = el.getAttribute('aria-label') || (el.labels && el.labels.length) || el.textContent.trim();
        return !labelled;
      })
      .map((el) => el.outerHTML.slice(0, 80));
  });
  expect(unnamed).toEqual([]);
});
