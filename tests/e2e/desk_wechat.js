// An agent serves a WeChat customer in the desk (issue 21): the customer's message, signed
// and encrypted by the test as WeChat's servers do, arrives as an offer; the agent's reply
// reaches WeChat (the stand-in of its API) and shows "Sent", and so does a photo the agent attaches; once the customer's 48 hours
// are over, the next reply shows why it was not sent and the customer's other ways.
//   node desk_wechat.js <http port> <screenshot dir> <agent> <password>
// Prints "READY" once the agent is available (the driver then sends the callback and says
// "SID <sid>"), "SENT" after the first reply showed sent (the driver then closes the
// window), "DONE <sid>" when every step was seen, "FAIL why" otherwise.
'use strict';
const path = require('path');
const { fail, run, nextLine, step, deskOffered } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

run(async (browser) => {
  const { desk, sid, item } = await deskOffered(browser, base, agent, password, T, 'the WeChat offer');
  await step('the customer\'s words', desk.waitForSelector('#transcript li.in >> text=我的快递到哪了?', T));
  await step('the photo they sent, as a link', desk.waitForSelector(
    '#transcript li.in a[href="http://mmbiz.qpic.cn/parcel.jpg"][target=_blank]', T));
  await step('no markup from the text', desk.waitForSelector('#transcript li.in >> text=<b>not bold</b>', T));
  await desk.click('#accept');
  await step('active', desk.waitForSelector(`${item}.active`, T));
  await step('the WeChat identity', desk.waitForSelector('#profile dd >> text=/WeChat \\(from WeChat\\)/', T));

  await desk.fill('#reply-text', '您好, 快递明天到。');
  await desk.press('#reply-text', 'Enter');
  await step('the reply sent', desk.waitForSelector('#transcript li.out .delivery.sent >> text=Sent', T));
  // a photo for the customer, from the reply box's Attach
  await desk.setInputFiles('#attach-file', { name: 'invoice.jpg', mimeType: 'image/jpeg',
    buffer: Buffer.from('\xff\xd8\xff\xe0 a photo of the invoice', 'latin1') });
  await step('the photo sent, a link in the conversation', desk.waitForSelector(
    '#transcript li.out:has(a.media) .delivery.sent >> text=Sent', T));
  console.log('SENT');
  await nextLine();
  await desk.fill('#reply-text', '还有问题吗?');
  await desk.press('#reply-text', 'Enter');
  await step('not sent, and why', desk.waitForSelector(
    '#transcript li.out .delivery.failed >> text=/45015.*48 hours/', T));
  try {
    await desk.waitForSelector(
      '#transcript li.out .reach >> text="Other ways to reach them: SMS +8613800000077"', T);
  } catch (e) {
    fail('the other ways: ' + (await desk.$eval('#transcript', (o) => o.innerText)).replace(/\n/g, ' | ') +
      ' || profile: ' + (await desk.$eval('#profile', (o) => o.innerText)).replace(/\n/g, ' | '));
  }
  await desk.screenshot({ path: path.join(shots, 'desk-11-wechat.png') });
  console.log('DONE ' + sid);
});
