// A customer in headless Chromium is asked the survey at the end in the chat widget.
// Driven by tests/integration/test_survey.py, which plays the agent over the REST API:
//   node chat_survey.js <http port> <screenshot dir>
// Protocol with the driver, one line each way:
//   → "SESSION <sid>"      after the first message opened a session
//   ← "CLOSED"             (the agent accepted and closed it: the queue's survey is "both")
//   → "ANSWERED <thanks>"  the form asked CSAT and NPS; 4, 9 and a comment were sent and the
//                          thanks shown
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, nextLine, run, openWidget } = require('./browser');

const [port, shots] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;

run(async (browser) => {
  const page = await openWidget(browser, base);
  await page.fill('#omniq-chat input.msg', '我的洗衣机漏水');
  await page.click('#omniq-chat form button');
  await page.waitForFunction(() => window.omniqChat.session, null, { timeout: 10000 });
  if (await page.isVisible('#omniq-chat .sv')) fail('a survey shown before the end');
  console.log('SESSION ' + await page.evaluate(() => window.omniqChat.session));

  if (await nextLine() !== 'CLOSED') fail('driver did not close');
  await page.waitForSelector('#omniq-chat .sv', { state: 'visible', timeout: 15000 })
    .catch(() => fail('no survey after the end'));
  if (!await page.isVisible('#omniq-chat .sv .cs') || !await page.isVisible('#omniq-chat .sv .np'))
    fail('kind "both" must ask CSAT and NPS');
  if (await page.$$eval('#omniq-chat .sv .cs button', (b) => b.length) !== 5 ||
      await page.$$eval('#omniq-chat .sv .np button', (b) => b.length) !== 11)
    fail('CSAT 1-5 and NPS 0-10 buttons');
  if (!await page.isDisabled('#omniq-chat .sv .go')) fail('Send enabled before the scores');
  await page.click('#omniq-chat .sv .cs button[aria-label="CSAT 4"]');
  if (!await page.isDisabled('#omniq-chat .sv .go')) fail('Send enabled with NPS missing');
  await page.click('#omniq-chat .sv .np button[aria-label="NPS 9"]');
  await page.fill('#omniq-chat .sv .svc', '师傅很专业, 就是等得久');
  await page.screenshot({ path: path.join(shots, 'survey-1-form.png') });
  await page.click('#omniq-chat .sv .go');
  await page.waitForSelector('#omniq-chat .sv', { state: 'hidden', timeout: 10000 })
    .catch(() => fail('the form stayed after the answer'));
  const last = await page.$$eval('#omniq-chat li.sys', (l) => l.length ? l[l.length - 1].textContent : '');
  await page.screenshot({ path: path.join(shots, 'survey-2-thanks.png') });
  console.log('ANSWERED ' + last);
});
