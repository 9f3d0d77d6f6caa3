// Another company's site, on its own origin (a page the driver serves), embeds the widget
// from omniq_ws with data-tenant="acme". Driven by tests/integration/test_e2e.py:
//   node tenant_widget.js <site page URL> <screenshot dir>
// Steps, one line each to the driver:
//   → "STALE <visitor>"  after a visitor token signed with another secret was put in the
//                         page's storage and the reloaded widget replaced it with a good one
//   → "SESSION <sid>"     after the first message opened a session (in acme, says the driver)
//   ← "<reply text>"      the acme agent's reply, which must appear on the page
//   → "DONE"
// Exits 0 when every step was seen on the page, 1 with a reason otherwise.
'use strict';
const path = require('path');
const { fail, watch, nextLine, run } = require('./browser');

const [site, shots] = process.argv.slice(2);
const FORGED = '0123456789abcdef0123456789abcdef.' + '0'.repeat(64);

run(async (browser) => {
  const page = watch(await browser.newPage());
  const connected = () => window.omniqChat && window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1 && window.omniqChat.visitor;
  await page.goto(site);
  await page.waitForFunction(connected, null, { timeout: 10000 })
    .catch(async () => fail('the acme widget did not connect: ' +
      await page.evaluate(() => document.body.innerText)));
  // the visitor token in storage no longer verifies (say the site secret was changed)
  await page.evaluate((f) => {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (/:acme:visitor$/.test(k)) localStorage.setItem(k, f);
    }
  }, FORGED);
  await page.reload();
  await page.waitForFunction((f) => window.omniqChat && window.omniqChat.ws &&
    window.omniqChat.ws.readyState === 1 && window.omniqChat.visitor &&
    window.omniqChat.visitor !== f, FORGED, { timeout: 10000 })
    .catch(() => fail('the widget did not recover from a stale visitor token'));
  console.log('STALE ' + await page.evaluate(() => window.omniqChat.visitor));

  // the site asks for a name (data-ask-name): what the visitor types is a claim, not an
  // identity - here someone else's phone number, which must open nobody's history
  await page.waitForSelector('#omniq-chat .who:not([hidden]) .nm', { timeout: 10000 })
    .catch(() => fail('the name fields are not shown'));
  await page.fill('#omniq-chat .nm', '王小明 Ming');
  await page.fill('#omniq-chat .ct', '+8613800138000');
  await page.fill('#omniq-chat input.msg', 'Hello Acme, my invoice is wrong');
  await page.click('#omniq-chat form button');
  await page.waitForFunction(() => window.omniqChat.session, null, { timeout: 10000 })
    .catch(() => fail('no session opened'));
  console.log('SESSION ' + await page.evaluate(() => window.omniqChat.session));
  await page.screenshot({ path: path.join(shots, 'acme-1-session.png') });

  const reply = await nextLine();
  await page.waitForSelector(`#omniq-chat li.out >> text=${reply}`, { timeout: 10000 })
    .catch(() => fail('acme agent reply not shown'));
  await page.screenshot({ path: path.join(shots, 'acme-2-reply.png') });
  console.log('DONE');
});
