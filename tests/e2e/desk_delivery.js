// An agent answers an SMS customer in the desk (issue 21): each reply shows where it is —
// sent by the channel's provider, or not, with the provider's reason — live and after a
// reload. The channel's sender is the fixture tests/modules/omniq_testsender.
//   node desk_delivery.js <http port> <screenshot dir> <agent> <password>
// Prints "READY" once the agent is available (the driver then opens the SMS session), then
// "DONE <sid>" when every step was seen, "FAIL why" otherwise.
'use strict';
const path = require('path');
const { fail, run, step, deskOffered } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

run(async (browser) => {
  const { desk, sid, item } = await deskOffered(browser, base, agent, password, T, 'the SMS offer');
  await desk.click('#accept');
  await step('active', desk.waitForSelector(`${item}.active`, T));

  await desk.fill('#reply-text', 'ok 您的包裹今天发出, tracking SF1234');
  await desk.press('#reply-text', 'Enter');
  await step('the first reply sent', desk.waitForSelector('#transcript li.out .delivery.sent >> text=Sent', T));
  await desk.fill('#reply-text', 'fail: a second number we do not have');
  await desk.press('#reply-text', 'Enter');
  await step('the second one not sent, and why', desk.waitForSelector(
    '#transcript li.out .delivery.failed >> text="Not sent: fixture: the number does not exist"', T));
  await desk.screenshot({ path: path.join(shots, 'desk-10-delivery.png') });

  // what a reload shows: the same, from the transcript
  await desk.reload();
  await step('back in', desk.waitForSelector(`${item}.active`, T));
  await desk.click(item);
  await step('sent after a reload', desk.waitForSelector('#transcript li.out .delivery.sent', T));
  await step('failed after a reload', desk.waitForSelector('#transcript li.out .delivery.failed', T));
  const shown = await desk.$$eval('#transcript li.out .delivery', (l) => l.map((e) => e.textContent));
  if (shown.join('|') !== 'Sent|Not sent: fixture: the number does not exist')
    fail('after a reload: ' + shown.join('|'));
  console.log('DONE ' + sid);
});
