// A customer's messages in headless Chromium outlive Redis refusing writes and a dropped
// connection: the widget keeps each until its ack and sends it again. Driven by
// tests/integration/test_e2e.py, which fills and empties Redis' memory:
//   node chat_resend.js <http port> <screenshot dir>
// Protocol with the driver, one line each way:
//   → "SESSION <sid>"   after the first message opened a session
//   ← "FULL"            Redis now refuses writes (maxmemory)
//   → "RETRYING"        a message was refused "unavailable" and sent again, still pending
//   ← "ROOM"            Redis takes writes again
//   → "SENT <n>"        that message and one typed while disconnected are acknowledged;
//                       n = the customer's messages shown
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, watch, nextLine, run } = require('./browser');

const [port, shots] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;

run(async (browser) => {
  const page = watch(await browser.newPage());
  const connected = () => page.waitForFunction(() => window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1, null, { timeout: 10000 });
  const say = async (text) => {
    await page.fill('#omniq-chat input.msg', text);
    await page.click('#omniq-chat form button');
  };
  const settled = () => page.waitForFunction(() =>
    Object.keys(window.omniqChat.pending).length === 0, null, { timeout: 15000 });
  await page.goto(base + '/demo.html');
  await page.waitForSelector('#omniq-chat input.msg');
  await connected();
  await say('Hello');
  await page.waitForFunction(() => window.omniqChat.session, null, { timeout: 10000 });
  await settled().catch(() => fail('first message not acknowledged'));
  console.log('SESSION ' + await page.evaluate(() => window.omniqChat.session));

  if (await nextLine() !== 'FULL') fail('driver out of step');
  await say('Are you there?');
  await page.waitForFunction(() => Object.values(window.omniqChat.pending)
    .some((p) => p.tries >= 2), null, { timeout: 10000 })
    .catch(() => fail('a refused message was not sent again'));
  const shown = await page.$$eval('#omniq-chat li', (l) => l.map((x) => x.className));
  if (shown.some((c) => /failed/.test(c))) fail('shown as failed while retrying: ' + shown);
  await page.screenshot({ path: path.join(shots, 'resend-1-pending.png') });
  console.log('RETRYING');

  if (await nextLine() !== 'ROOM') fail('driver out of step');
  await settled().catch(() => fail('the refused message was not delivered once Redis had room'));
  // the connection drops; what the customer types meanwhile goes after the reconnect
  await page.evaluate(() => window.omniqChat.ws.close());
  await page.waitForFunction(() => window.omniqChat.ws.readyState !== 1);
  await say('Still waiting');
  await connected();
  await settled().catch(() => fail('a message typed while disconnected was not delivered'));
  const items = await page.$$eval('#omniq-chat li.in', (l) => l.map((x) => x.textContent + '|' + x.className));
  if (items.some((i) => /sending|failed/.test(i))) fail('left unsent: ' + items);
  await page.screenshot({ path: path.join(shots, 'resend-2-delivered.png') });
  console.log('SENT ' + items.length);
});
