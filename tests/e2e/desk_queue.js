// The desk as an agent and a supervisor use it (issue 20): an offer announced (title badge,
// chime, countdown); a chat the agent declined is not lost but waits in the desk's queue
// view, where the agent takes it; the conversation survives a reload and opens in a second
// tab without a new login; transcript lines carry time and sender; a supervisor gives a
// waiting chat to a colleague routing would skip.
//   node desk_queue.js <http port> <screenshot dir> <agent> <supervisor> <password>
// Prints "DONE <sid1> <sid2>" and exits 0 when every step was seen, "FAIL why" otherwise;
// test_e2e.py checks Redis afterwards.
'use strict';
const path = require('path');
const { fail, watch, run, step } = require('./browser');

const [port, shots, agent, sup, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

async function login(page, who) {
  await page.goto(base + '/desk/');
  await page.fill('#login input[name=agent]', who);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button');
  await step(who + ' logged in', page.waitForSelector('#desk:not([hidden]) #me', T));
}

async function customer(browser, text) {
  const shop = watch(await (await browser.newContext()).newPage());
  await shop.goto(base + '/demo.html');
  await step('widget connected', shop.waitForFunction(() => window.omniqChat && window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1, null, T));
  await shop.fill('#omniq-chat input.msg', text);
  await shop.click('#omniq-chat form button');
  await step('session opened', shop.waitForFunction(() => window.omniqChat.session, null, T));
  return { shop, sid: await shop.evaluate(() => window.omniqChat.session) };
}

run(async (browser) => {
  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  // a headless browser shows no notifications and its pages are never in the background:
  // the page's Notification records what it is asked to show, and document.hidden says
  // what the test sets (both before the desk's own scripts run)
  await ctxA.addInitScript(() => {
    window.__shown = [];
    function N(title, opts) { window.__shown.push(title + ' | ' + ((opts && opts.body) || '')); this.close = function () {}; }
    N.permission = 'granted';
    N.requestPermission = function () { return Promise.resolve('granted'); };
    window.Notification = N;
    Object.defineProperty(document, 'hidden', { get: function () { return window.__hidden === true; } });
  });
  const desk = watch(await ctxA.newPage());
  await login(desk, agent);
  await desk.selectOption('#presence', 'available');
  await step('available', desk.waitForSelector('#load >> text=available', T));
  await step('empty queue view', desk.waitForSelector('#waiting-empty:not([hidden])', T));

  // an offer: badge in the title, a chime, a countdown to its timeout
  const c1 = await customer(browser, 'My order #881 never arrived');
  const item = `#inbox li[data-sid="${c1.sid}"]`;
  await step('offer in the inbox', desk.waitForSelector(`${item}.offered`, T));
  await step('countdown in the inbox', desk.waitForSelector(`${item} .wait >> text=/answer within \\d+ s/`, T));
  if (!/^\(1\) /.test(await desk.title())) fail('no badge in the title: ' + await desk.title());
  if (!(await desk.evaluate(() => window.omniqDesk.chimes >= 1))) fail('no chime for the offer');
  await desk.click(item);
  await step('countdown in the offer box', desk.waitForSelector('#offer-left >> text=/Answer within \\d+ s/', T));

  // declined: routing will not offer it to this agent again, but it waits in view
  await desk.click('#decline');
  await step('gone from the inbox', desk.waitForSelector(item, { state: 'detached', timeout: 15000 }));
  const waiting = `#waiting li[data-sid="${c1.sid}"]`;
  await step('waiting in the queue view', desk.waitForSelector(waiting, T));
  await step('waiting count', desk.waitForSelector('#waiting-count >> text=1', T));
  await desk.screenshot({ path: path.join(shots, 'desk-5-queue.png') });
  await desk.click(`${waiting} button.take`);
  await step('taken: active at once', desk.waitForSelector(`${item}.active`, T));
  await step('out of the queue view', desk.waitForSelector(waiting, { state: 'detached', timeout: 15000 }));
  await step('transcript line with time and sender',
    desk.waitForSelector('#transcript li.in .meta >> text=/^\\d\\d:\\d\\d · Visitor [0-9a-f]{6}$/', T));
  await step('the pick told in the transcript', desk.waitForSelector(`#transcript li.note >> text=picked up by ${agent}`, T));

  // a saved reply: "/" and its name in the reply box, Enter puts it in, Enter sends it
  await desk.fill('#reply-text', '/ref');
  await step('saved replies listed', desk.waitForSelector('#canned-menu:not([hidden]) li[data-name="refund"]', T));
  await desk.screenshot({ path: path.join(shots, 'desk-7-saved-reply.png') });
  await desk.press('#reply-text', 'Enter');
  const filled = await desk.inputValue('#reply-text');
  if (!/^Your refund is on its way/.test(filled)) fail('saved reply not put in the box: ' + filled);
  await desk.press('#reply-text', 'Enter');
  await step('saved reply sent to the customer',
    c1.shop.waitForSelector('#omniq-chat li.out >> text=Your refund is on its way', T));
  // an internal note: the desk shows it, the customer never gets it
  await desk.check('#as-note');
  await desk.fill('#reply-text', '客户很着急 - call back if it is not there by Friday');
  await desk.press('#reply-text', 'Enter');
  await step('note in the desk', desk.waitForSelector('#transcript li.note >> text=客户很着急', T));
  await desk.uncheck('#as-note');
  await desk.screenshot({ path: path.join(shots, 'desk-8-note.png') });

  // the transfer box suggests the colleagues with their state; a refusal is said in words
  await desk.focus('#transfer-target');
  await step('transfer suggestions', desk.waitForSelector('#transfer-targets option[value="bob"]', { state: 'attached', timeout: 15000 }));
  const label = await desk.getAttribute('#transfer-targets option[value="bob"]', 'label');
  if (!/^available \d+\/\d+$/.test(label || '')) fail('transfer suggestion without state: ' + label);
  await desk.fill('#transfer-target', 'sue');
  await desk.click('#transfer button');
  await step('refusal in words', desk.waitForSelector('#act-err >> text=/^Not possible now: .*the agent must be Available with room for it/', T));
  // the queue view refreshes every 5 s: its answers do not wipe what the agent was told
  await desk.waitForTimeout(6000);
  if (!/^Not possible now/.test(await desk.textContent('#act-err') || '')) fail('a background refresh cleared the refusal');
  await desk.fill('#transfer-target', '');

  // search over the agent's own past conversations: the note's word finds this one
  await desk.fill('#search-q', 'friday');
  await desk.press('#search-q', 'Enter');
  await step('found by search', desk.waitForSelector(`#found li[data-sid="${c1.sid}"] .snip >> text=not there by Friday`, T));
  await desk.screenshot({ path: path.join(shots, 'desk-9-search.png') });
  if ((await desk.textContent('#act-err')) !== '') fail('the refusal stayed after a success');
  await desk.fill('#search-q', '');
  await desk.dispatchEvent('#search-q', 'input');

  // reload: the same conversation, no login
  await desk.reload();
  await step('desk after reload without login', desk.waitForSelector('#desk:not([hidden]) #me', T));
  await step('conversation restored', desk.waitForSelector(`#conv-title >> text=${c1.sid}`, T));
  await step('its transcript restored', desk.waitForSelector('#transcript li.in >> text=My order #881 never arrived', T));
  // a second tab of the same browser: no login either
  const tab2 = watch(await ctxA.newPage());
  await tab2.goto(base + '/desk/');
  await step('second tab without login', tab2.waitForSelector('#desk:not([hidden]) #me', T));
  await step('second tab shows the session', tab2.waitForSelector(`${item}.active`, T));
  // an unread message counts in the other tab's inbox (nothing selected there)
  await c1.shop.fill('#omniq-chat input.msg', 'Are you there?');
  await c1.shop.click('#omniq-chat form button');
  await step('unread count in the second tab', tab2.waitForSelector(`${item} .unread >> text=1`, T));
  await step('live line in the first tab', desk.waitForSelector('#transcript li.in >> text=Are you there?', T));
  await tab2.close();
  if (await c1.shop.$('#omniq-chat li >> text=客户很着急')) fail('the customer saw the internal note');

  // a supervisor gives a declined chat to a colleague without its skill
  await desk.evaluate(() => { window.__hidden = true; });       // the agent looks elsewhere
  const c2 = await customer(browser, 'I want to change my tariff');
  const item2 = `#inbox li[data-sid="${c2.sid}"]`;
  await step('second offer', desk.waitForSelector(`${item2}.offered`, T));
  const shown = await desk.evaluate(() => window.__shown);
  if (shown.length !== 1 || !/^New web from Visitor [0-9a-f]{6} \| Queue web$/.test(shown[0]))
    fail('no notification for an offer in the background: ' + JSON.stringify(shown));
  await desk.evaluate(() => { window.__hidden = false; });
  await desk.click(item2);
  await desk.click('#decline');
  await step('second declined', desk.waitForSelector(item2, { state: 'detached', timeout: 15000 }));
  const boss = watch(await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage());
  await login(boss, sup);
  await step('supervisor marked', boss.waitForSelector('#me >> text=supervisor', T));
  const w2 = `#waiting li[data-sid="${c2.sid}"]`;
  await step('supervisor sees it waiting', boss.waitForSelector(`${w2} select.to option[value="bob"]`, { state: 'attached', timeout: 15000 }));
  if (await boss.$(`${w2} button.take`)) fail("a Take button for a supervisor without chat capacity");
  await boss.screenshot({ path: path.join(shots, 'desk-6-supervisor.png') });
  await boss.selectOption(`${w2} select.to`, 'bob');
  await boss.click(`${w2} button.assign`);
  await step('assigned: out of the queue view', boss.waitForSelector(w2, { state: 'detached', timeout: 15000 }));
  // the agent closes the first: wrap-up (60 s here) can only be finished, not handed on
  await desk.bringToFront();
  await desk.click(item);
  await desk.click('#close-btn');
  await step('wrap-up shown', desk.waitForSelector(`${item} .st >> text=wrap-up`, T));
  await step('End wrap-up', desk.waitForSelector('#close-btn >> text=End wrap-up', T));
  if (await desk.isVisible('#transfer')) fail('transfer offered in wrap-up');
  if (await desk.isVisible('#reply')) fail('reply box in wrap-up');
  await desk.click('#close-btn');
  await step('closed after wrap-up', desk.waitForSelector(item, { state: 'detached', timeout: 15000 }));
  console.log('DONE ' + c1.sid + ' ' + c2.sid);
});
