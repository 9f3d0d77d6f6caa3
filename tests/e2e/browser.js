// What the browser scripts share: Debian's Chromium (headless, through playwright-core), the
// page's console and errors kept to be told with a failure, one way to fail, and the
// driver's next line on stdin.
'use strict';
const { chromium } = require('playwright-core');

const pageLog = [];

// "FAIL <why>" and exit 1; the driver reports the line
function fail(why) {
  console.log('FAIL ' + why + (pageLog.length ? ' | page: ' + pageLog.join(' | ') : ''));
  process.exit(1);
}

function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox'] });
}

// keep what the page says (stdout is the protocol with the driver)
function watch(page) {
  page.on('pageerror', (e) => pageLog.push('error: ' + e.message));
  page.on('console', (m) => pageLog.push(m.text()));
  return page;
}

function nextLine() {
  return new Promise((resolve) => {
    process.stdin.once('data', (d) => resolve(d.toString().trim()));
  });
}

// A script's steps with a fresh browser: exit 0 when they end, else fail with the reason.
function run(steps) {
  (async () => {
    const browser = await launch();
    try {
      await steps(browser);
    } finally {
      await browser.close();
    }
    process.exit(0);
  })().catch((e) => fail(e.message));
}

/* One awaited step: its failure reported as "FAIL <what>: <first line>". */
async function step(what, p) {
  try { return await p; } catch (e) { fail(what + ': ' + e.message.split('\n')[0]); }
}

/* An agent logged in to the desk at base and available: the page. */
async function deskAvailable(ctx, base, agent, password, T) {
  const desk = watch(await ctx.newPage());
  await desk.goto(base + '/desk/');
  await desk.fill('#login input[name=agent]', agent);
  await desk.fill('#login input[name=password]', password);
  await desk.click('#login button');
  await step('logged in', desk.waitForSelector('#desk:not([hidden]) #me', T));
  await desk.selectOption('#presence', 'available');
  await step('available', desk.waitForSelector('#load >> text=available', T));
  return desk;
}

/* The desk of an available agent, told by the driver which session to open: prints READY,
 * reads "SID <sid>", waits for its offer (what: its name in a failure) and opens it.
 * { desk, sid, item } (item: the inbox entry's selector). */
async function deskOffered(browser, base, agent, password, T, what) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const desk = await deskAvailable(ctx, base, agent, password, T);
  console.log('READY');
  const sid = (await nextLine()).split(' ')[1];
  const item = `#inbox li[data-sid="${sid}"]`;
  await step(what, desk.waitForSelector(`${item}.offered`, T));
  await desk.click(item);
  return { desk, sid, item };
}

// The widget on omniq_ws's demo page (at base) in a new page, its socket open and its
// visitor known: the page.
async function openWidget(browser, base) {
  const page = watch(await browser.newPage());
  await page.goto(base + '/demo.html');
  await page.waitForSelector('#omniq-chat input.msg');
  await page.waitForFunction(() => window.omniqChat && window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1 && window.omniqChat.visitor, null, { timeout: 10000 });
  return page;
}

module.exports = { fail, launch, watch, nextLine, run, step, deskAvailable, deskOffered,
  openWidget };
