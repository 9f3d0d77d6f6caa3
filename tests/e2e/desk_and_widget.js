// An agent in the desk and a customer in the chat widget, both in headless Chromium, both
// served by omniq_ws: the agent logs in, goes available, accepts the customer's chat, reads
// the customer panel, sees the customer typing (and the customer sees the agent's name and
// typing), replies, and closes; the customer sees the reply.
//   node desk_and_widget.js <http port> <screenshot dir> <agent> <password>
// Prints "DONE <sid>" and exits 0 when every step was seen on the pages, "FAIL why" and 1
// otherwise. test_e2e.py checks Redis afterwards. The desk works under its page's
// Content-Security-Policy (http.c): no violation may be reported on it.
'use strict';
const path = require('path');
const { fail, watch, run, step } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 10000 };

run(async (browser) => {
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  const shop = await (await browser.newContext()).newPage();
  for (const p of [desk, shop]) watch(p);
  const cspViolations = [];
  desk.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });

  // the agent logs in: a wrong password first
  await desk.goto(base + '/desk/');
  await desk.fill('#login input[name=agent]', agent);
  await desk.fill('#login input[name=password]', 'not the password');
  await desk.click('#login button');
  await step('wrong password message', desk.waitForSelector('#login-err >> text=wrong agent or password', T));
  await desk.fill('#login input[name=password]', password);
  await desk.click('#login button');
  await step('desk shown after login', desk.waitForSelector('#desk:not([hidden]) #me', T));
  await desk.selectOption('#presence', 'available');
  // the desk page runs under its Content-Security-Policy, which allows no string eval: the
  // desk is waited on through selectors only (waitForFunction evaluates a string)
  await step('available', desk.waitForSelector('#load >> text=available', T));
  await desk.screenshot({ path: path.join(shots, 'desk-1-available.png') });

  // a customer writes in the widget; the offer appears in the desk's inbox
  await shop.goto(base + '/demo.html');
  await step('widget connected', shop.waitForFunction(() => window.omniqChat && window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1, null, T));
  await shop.fill('#omniq-chat input.msg', 'Hi, my washing machine leaks');
  await shop.click('#omniq-chat form button');
  await step('session opened', shop.waitForFunction(() => window.omniqChat.session, null, T));
  const sid = await shop.evaluate(() => window.omniqChat.session);
  const item = `#inbox li[data-sid="${sid}"]`;
  await step('offer in the inbox', desk.waitForSelector(`${item}.offered`, T));
  const mark = await desk.textContent(`${item} .ch`);
  if (!/web/i.test(mark)) fail('channel mark: ' + mark);
  await desk.click(item);
  await step('offer box', desk.waitForSelector('#offer:not([hidden])', T));
  // during an offer only Accept and Decline: no reply box, no Close (desk.css once showed
  // them, its display:flex beating the hidden attribute)
  for (const sel of ['#reply', '#actions'])
    if (await desk.isVisible(sel)) fail(sel + ' is shown during an offer');
  await desk.screenshot({ path: path.join(shots, 'desk-2-offer.png') });
  await desk.click('#accept');
  await step('active after accept', desk.waitForSelector(`${item}.active`, T));
  // the conversation's title says how long the customer waited (issue 24: promised vs actual)
  await step('the wait in the title', desk.waitForSelector('#conv-title >> text=/waited \\d+ s/', T));
  await step('customer message in the transcript',
    desk.waitForSelector('#transcript li.in >> text=Hi, my washing machine leaks', T));
  await step('customer panel', desk.waitForSelector('#profile dd >> text=web visitor (this browser only):', T));
  await step('history in the panel', desk.waitForSelector('#history li', T));

  // typing indicators both ways, with the agent's name on the customer's side
  await shop.fill('#omniq-chat input.msg', 'It is model WM-300');
  await step('customer typing shown in the desk', desk.waitForSelector('#typing >> text=The customer is typing', T));
  await desk.fill('#reply-text', 'Let me');
  await step('agent typing shown in the widget', shop.waitForSelector('#omniq-chat .ty >> text=Alice is typing', T));
  await step('agent name shown to the customer', shop.waitForSelector('#omniq-chat .st >> text=Alice is here', T));
  await shop.screenshot({ path: path.join(shots, 'desk-3-customer-sees-typing.png') });

  // the customer's next message arrives live; the agent replies with Enter
  await shop.click('#omniq-chat form button');
  await step('live customer message', desk.waitForSelector('#transcript li.in >> text=It is model WM-300', T));
  await desk.fill('#reply-text', 'A technician can come tomorrow morning.');
  await desk.press('#reply-text', 'Enter');
  await step('reply in the desk transcript',
    desk.waitForSelector('#transcript li.out >> text=A technician can come tomorrow morning.', T));
  await step('reply shown to the customer',
    shop.waitForSelector('#omniq-chat li.out >> text=A technician can come tomorrow morning.', T));
  await desk.screenshot({ path: path.join(shots, 'desk-3-conversation.png') });
  await shop.screenshot({ path: path.join(shots, 'desk-3-customer.png') });

  // close with a follow-up date: the inbox empties
  await desk.selectOption('#disposition', 'follow_up');
  await desk.click('#close button');
  await step('follow-up date required', desk.waitForSelector('#act-err >> text=Choose the follow-up date', T));
  await desk.fill('#follow-date', '2027-03-01');
  await desk.click('#close button');
  await step('inbox empty after close', desk.waitForSelector(`${item}`, { state: 'detached', timeout: 10000 }));
  await desk.screenshot({ path: path.join(shots, 'desk-4-closed.png') });
  if (cspViolations.length) fail('the desk broke its Content-Security-Policy: ' + cspViolations[0]);
  console.log('DONE ' + sid);
});
