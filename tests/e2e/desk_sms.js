// An agent serves an SMS customer in the desk (issue 22): the phone's SMS (fakesmsc ->
// Kannel -> omniq) arrives as an offer; as the agent types a long Chinese reply the desk
// counts the SMS it will take (omniq_sms's counter), and the reply, sent, reaches the phone
// through Kannel and shows Delivered once Kannel's report comes.
//   node desk_sms.js <http port> <screenshot dir> <agent> <password>
// Prints "READY" once the agent is available (the driver then sends the SMS and says
// "SID <sid>"), "DONE <sid>" when every step was seen, "FAIL why" otherwise.
'use strict';
const path = require('path');
const { run, step, deskOffered } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 20000 };
const REPLY = '您好，' + '您的订单已发货，预计明天送达，请保持电话畅通。'.repeat(3) + '谢谢';

run(async (browser) => {
  const { desk, sid, item } = await deskOffered(browser, base, agent, password, T, 'the SMS offer');
  await step('the customer\'s words, both lines', desk.waitForSelector(
    '#transcript li.in >> text=/我的快递到哪了\\?\\s+单号 SF1234/', T));
  await desk.click('#accept');
  await step('active', desk.waitForSelector(`${item}.active`, T));
  await desk.fill('#reply-text', '好的');
  await step('one SMS counted', desk.waitForSelector('#sms-count >> text="1 SMS · 2/70 UCS-2"', T));
  await desk.fill('#reply-text', REPLY);
  await step('two SMS counted', desk.waitForSelector(`#sms-count >> text="2 SMS · ${[...REPLY].length}/134 UCS-2"`, T));
  await desk.press('#reply-text', 'Enter');
  await step('the reply delivered', desk.waitForSelector('#transcript li.out .delivery >> text=Delivered', T));
  await step('the counter back to an empty box', desk.waitForSelector(
    '#sms-count >> text="SMS: 160 characters in one message"', T));
  await desk.screenshot({ path: path.join(shots, 'desk-12-sms.png') });
  console.log('DONE ' + sid);
});
