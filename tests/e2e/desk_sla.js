// A service-level alert in the agent desk (issue 24): the queue owner's desk lists the
// alert of a session that waits too long, with a chime, and its "Take it" button records
// that the agent is on it.
//   node desk_sla.js <http port> <screenshot dir> <agent> <password>
// Prints "READY" once the agent is available (the driver then opens a session nobody can
// take), then "DONE <sid>" when the alert was listed and taken, "FAIL why" otherwise.
'use strict';
const path = require('path');
const { fail, run, step, deskAvailable, nextLine } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

run(async (browser) => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const desk = await deskAvailable(ctx, base, agent, password, T);
  console.log('READY');
  const sid = (await nextLine()).split(' ')[1];
  const li = `#sla-alerts li:has-text("session ${sid}")`;
  await step('the level 1 alert listed', desk.waitForSelector(`${li}.l1`, T));
  const said = await desk.textContent(li);
  if (!/^Service level 1: session \d+, first response waiting \d+ s/.test(said))
    fail('the alert says: ' + said);
  const chimes = await desk.evaluate(() => window.omniqDesk.chimes || 0);
  if (chimes < 1) fail('no chime for the alert');
  await desk.screenshot({ path: path.join(shots, 'desk-11-sla-alert.png') });
  await desk.click(`${li} button.take`);
  await step('taken', desk.waitForSelector(`${li}.taken button.take:disabled >> text=Taken`, T));
  await desk.screenshot({ path: path.join(shots, 'desk-12-sla-taken.png') });
  console.log('DONE ' + sid);
});
