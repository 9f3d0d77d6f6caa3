// A customer in headless Chromium uses the chat widget on the demo page served by omniq_ws.
// Driven by tests/integration/test_e2e.py, which plays the agent over the REST API:
//   node chat_widget.js <http port> <screenshot dir>
// Protocol with the driver, one line each way:
//   → "SESSION <sid>"      after the first message opened a session, shown as queued
//   ← (the agent accepts and replies "<reply text>" through REST; we wait for it on the page)
//   → "RELOADED <n>"       after a reload, n = messages shown from the transcript
//   ← "CLOSED"             (the agent closed it through REST)
//   → "SESSION2 <sid>"     the end was shown, and the next message opened a new session
//   ← "CLOSED"             (that one closed too)
//   → "ENDED <n>"          after a reload: its n lines shown, and that it has ended
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, nextLine, run, openWidget } = require('./browser');

const [port, shots] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;

run(async (browser) => {
  const page = await openWidget(browser, base);
  await page.fill('#omniq-chat input.msg', 'Hello, where is my parcel?');
  await page.click('#omniq-chat form button');
  await page.waitForFunction(() => window.omniqChat.session, null, { timeout: 10000 });
  // nobody is available yet (the driver makes alice available after SESSION): the customer
  // is told where she waits, nothing else
  await page.waitForFunction(() => /^You are number 1 in the queue\b/.test(
    document.querySelector('#omniq-chat .st').textContent), null, { timeout: 10000 })
    .catch(async () => fail('no queue position shown: ' + await page.textContent('#omniq-chat .st')));
  const sid = await page.evaluate(() => window.omniqChat.session);
  await page.screenshot({ path: path.join(shots, 'chat-1-queued.png') });
  console.log('SESSION ' + sid);

  // the agent's reply appears without any action of the customer
  const reply = await nextLine();
  await page.waitForSelector(`#omniq-chat li.out >> text=${reply}`, { timeout: 10000 })
    .catch(() => fail('agent reply not shown'));
  const agentStatus = await page.textContent('#omniq-chat .st');
  if (!/alice is here/i.test(agentStatus)) fail('agent name not shown: ' + agentStatus);
  await page.screenshot({ path: path.join(shots, 'chat-2-reply.png') });

  // reload: same session, transcript back
  await page.reload();
  await page.waitForSelector('#omniq-chat li.out', { timeout: 10000 })
    .catch(() => fail('transcript not restored after reload'));
  const items = await page.$$eval('#omniq-chat li', (lis) => lis.map((l) => l.textContent));
  const sid2 = await page.evaluate(() => window.omniqChat.session);
  if (sid2 !== sid) fail(`session changed on reload: ${sid} → ${sid2}`);
  if (items[0] !== 'Hello, where is my parcel?' || items[1] !== reply)
    fail('transcript after reload: ' + JSON.stringify(items));
  await page.screenshot({ path: path.join(shots, 'chat-3-reloaded.png') });
  console.log('RELOADED ' + items.length);

  // the agent closes: the customer is told, and writing again starts a new conversation
  // (before: the widget kept the dead session and refused the message until a reload)
  if (await nextLine() !== 'CLOSED') fail('driver did not close');
  await page.waitForSelector('#omniq-chat .st >> text=The conversation has ended', { timeout: 10000 })
    .catch(() => fail('end not shown'));
  await page.fill('#omniq-chat input.msg', 'One more question');
  await page.click('#omniq-chat form button');
  await page.waitForFunction((old) => window.omniqChat.session && window.omniqChat.session !== old &&
    Object.keys(window.omniqChat.pending).length === 0, sid, { timeout: 10000 })
    .catch(() => fail('no new session after the end'));
  console.log('SESSION2 ' + await page.evaluate(() => window.omniqChat.session));

  // closed too, then a reload: what was said, and that it has ended (before: an empty widget)
  if (await nextLine() !== 'CLOSED') fail('driver did not close the second');
  await page.waitForSelector('#omniq-chat .st >> text=The conversation has ended', { timeout: 10000 })
    .catch(() => fail('second end not shown'));
  await page.reload();
  await page.waitForSelector('#omniq-chat li.sys >> text=This conversation has ended', { timeout: 10000 })
    .catch(() => fail('ended conversation not shown after reload'));
  const ended = await page.$$eval('#omniq-chat li:not(.sys)', (lis) => lis.map((l) => l.textContent));
  if (ended.join('|') !== 'One more question') fail('ended transcript: ' + JSON.stringify(ended));
  await page.screenshot({ path: path.join(shots, 'chat-4-ended.png') });
  console.log('ENDED ' + ended.length);
});
