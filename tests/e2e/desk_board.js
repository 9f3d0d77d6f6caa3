// The figures in the desk (desk-board.js): an agent's own of the day in the header, and a
// supervisor's wallboard. Driven by tests/integration/test_report.py, which made the day
// first (a complaint tagged billing that alice answered, a chat still waiting):
//   node desk_board.js <http port> <screenshot dir> <agent> <supervisor> <password>
//   → "FIGURES <header text>"    the agent's own, and no Board button for her
//   → "BOARD <queue row> ## <agent row> ## <tags> ## <chart points>"   the supervisor's board
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, watch, run, step } = require('./browser');

const [port, shots, agent, sup, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

async function login(browser, who) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await ctx.newPage());
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=agent]', who);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button');
  await step(who + ' logged in', page.waitForSelector('#desk:not([hidden]) #me', T));
  return page;
}

const rowText = (sel) => (rows) => rows.map((r) =>
  Array.from(r.querySelectorAll('td')).map((td) => td.textContent).join(' | '));

run(async (browser) => {
  const a = await login(browser, agent);
  // (the desk's policy forbids eval: waits are selectors, not functions)
  await step('her figures', a.waitForSelector('#my-figures >> text=/^Today: 1 answered/', T));
  await a.waitForTimeout(1500);
  if (await a.isVisible('#board-btn')) fail('an agent has no board');
  console.log('FIGURES ' + await a.textContent('#my-figures'));

  const s = await login(browser, sup);
  await step('the Board button', s.waitForSelector('#board-btn', { state: 'visible', ...T }));
  await s.click('#board-btn');
  await step('the queues', s.waitForSelector('#board-queues tr', T));
  await step('the agents', s.waitForSelector('#board-agents tr:nth-child(2)', T));
  const queues = await s.$$eval('#board-queues tr', rowText());
  const agents = await s.$$eval('#board-agents tr', rowText());
  const tags = await s.$$eval('#board-tags tr', rowText());
  const points = await s.getAttribute('#chart-csat', 'data-points');
  await s.screenshot({ path: path.join(shots, 'desk-13-board.png') });
  console.log('BOARD ' + [queues.filter((q) => q.startsWith('support')).join(''),
    agents.filter((x) => x.startsWith('Alice')).join(''), tags.join(','), points].join(' ## '));
});
