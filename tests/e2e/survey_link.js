// A customer opens the survey link of their mail in headless Chromium, picks CSAT 5 and
// NPS 10, writes a comment and sends. Driven by tests/integration/test_survey.py:
//   node survey_link.js <link> <screenshot dir>
//   → "THANKS <text shown>"
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, watch, run } = require('./browser');

const [link, shots] = process.argv.slice(2);

run(async (browser) => {
  const page = watch(await browser.newPage());
  await page.goto(link);
  await page.waitForSelector('#survey', { state: 'visible', timeout: 10000 })
    .catch(() => fail('no survey form'));
  if (await page.$$eval('#csat button', (b) => b.length) !== 5 ||
      await page.$$eval('#nps button', (b) => b.length) !== 11)
    fail('kind "both": CSAT 1-5 and NPS 0-10');
  if (!await page.isDisabled('#send')) fail('Send enabled before the scores');
  await page.click('#csat button[aria-label="CSAT 5"]');
  await page.click('#nps button[aria-label="NPS 10"]');
  await page.fill('#comment', '回复很及时');
  await page.screenshot({ path: path.join(shots, 'survey-link-1.png') });
  await page.click('#send');
  await page.waitForSelector('#survey', { state: 'hidden', timeout: 10000 })
    .catch(async () => fail('not sent: ' + await page.textContent('#said')));
  await page.screenshot({ path: path.join(shots, 'survey-link-2.png') });
  console.log('THANKS ' + await page.textContent('#said'));
});
