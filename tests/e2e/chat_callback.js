// A waiting customer in headless Chromium asks to be called back instead of waiting: the
// widget's "Call me back" link shows only while the conversation waits (and a long wait is
// said in hours or days); a number without
// its digits is refused with the server's words; a good one is confirmed on the page, the
// link goes away and stays away after a reload. Driven by tests/integration/test_e2e.py:
//   node chat_callback.js <http port> <screenshot dir>
//   → "CALLBACK <sid> <number shown>"
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, run, openWidget } = require('./browser');

const [port, shots] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;

run(async (browser) => {
  const page = await openWidget(browser, base);
  if (await page.isVisible('#omniq-chat .cba')) fail('call-back link shown before any conversation');
  // a long wait (closed hours counted) is said in hours or days, not "about 121 min"
  const said = await page.evaluate(() => [300, 5400, 7260, 9000, 200000].map(window.omniqChat.waitText));
  if (said.join('|') !== '5 min|1 h 30 min|2 h|2 h 30 min|2 days') fail('waits said as ' + said);
  await page.fill('#omniq-chat input.msg', 'Hello, anyone?');
  await page.click('#omniq-chat form button');
  await page.waitForSelector('#omniq-chat .cba', { state: 'visible', timeout: 10000 })
    .catch(() => fail('no call-back link while the conversation waits'));
  await page.click('#omniq-chat .cba');
  await page.fill('#omniq-chat .cbp', 'call me');
  await page.click('#omniq-chat .cbs');
  await page.waitForFunction(() => [...document.querySelectorAll('#omniq-chat li.sys')]
    .some((l) => /country code/.test(l.textContent)), null, { timeout: 10000 })
    .catch(() => fail('a number without digits was not refused on the page'));
  await page.fill('#omniq-chat .cbp', '+86 139-0000-0001');
  await page.click('#omniq-chat .cbs');
  const confirmed = await page.waitForFunction(() => {
    const l = [...document.querySelectorAll('#omniq-chat li.sys')]
      .find((x) => /We will call you at/.test(x.textContent));
    return l && l.textContent;
  }, null, { timeout: 10000 }).catch(() => fail('the call-back was not confirmed'));
  if (await page.isVisible('#omniq-chat .cb')) fail('call-back link still shown after the call-back');
  await page.screenshot({ path: path.join(shots, 'callback-1-confirmed.png') });
  const sid = await page.evaluate(() => window.omniqChat.session);
  await page.reload();
  await page.waitForFunction(() => window.omniqChat.ws && window.omniqChat.ws.readyState === 1 &&
    window.omniqChat.status === 'queued', null, { timeout: 10000 })
    .catch(() => fail('the reloaded page did not resume the waiting conversation'));
  if (await page.isVisible('#omniq-chat .cb')) fail('call-back link offered again after a reload');
  const number = / at (\S+) when/.exec(await confirmed.jsonValue())[1];
  console.log('CALLBACK ' + sid + ' ' + number);
});
