// Follow-ups in the agent desk (issue 24): the agent schedules one for the open session's
// customer; one that falls due comes back as an offer and sits in the list with its outcome
// buttons; "Reached" ends it.
//   node desk_followups.js <http port> <screenshot dir> <agent> <password>
// Prints "READY" (the driver then opens a session and names it: "SID <sid>"), "SCHEDULED"
// once the agent's own follow-up is listed (the driver then adds one due at once: "FID
// <fid>"), then "DONE <sid>" when that one was shown opened and ended; then (the driver adds
// one past due for a queue that is closed: "LATE <fid>") "OVERDUE" once it is marked overdue
// and counted so; "FAIL why" otherwise.
'use strict';
const path = require('path');
const { fail, run, step, deskOffered, nextLine } = require('./browser');

const [port, shots, agent, password] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const T = { timeout: 15000 };

run(async (browser) => {
  const { desk, sid, item } = await deskOffered(browser, base, agent, password, T, 'the offer');
  await desk.click('#accept');
  await step('active', desk.waitForSelector(`${item}.active`, T));
  await step('nothing scheduled yet', desk.waitForSelector('#fu-list >> text=None scheduled', T));
  if (!(await desk.textContent('#fu-for')).includes('session ' + sid)) fail('the form names no session');
  await desk.selectOption('#fu-due', '+604800');
  await desk.fill('#fu-reason', '回访: check the repair held');
  await desk.click('#fu-add');
  await step('scheduled', desk.waitForSelector('#fu-list li.scheduled >> text=回访: check the repair held', T));
  if ((await desk.textContent('#fu-count')) !== '1') fail('the count is not 1');
  console.log('SCHEDULED');
  const fid = (await nextLine()).split(' ')[1];
  const opened = `#fu-list li.opened[data-fid="${fid}"]`;
  await step('opened, with its outcomes', desk.waitForSelector(`${opened} button[data-outcome=reached]`, T));
  await desk.screenshot({ path: path.join(shots, 'desk-13-followups.png') });
  const opens = await desk.textContent(`${opened} .sid`);
  await desk.click(`${opened} .sid`);
  await step('its session opened', desk.waitForSelector(`#inbox li.sel[data-sid="${opens.split(' ')[1]}"]`, T));
  await desk.click(`${opened} button[data-outcome=reached]`);
  await step('ended', desk.waitForSelector(opened, { state: 'detached', timeout: 15000 }));
  if ((await desk.textContent('#fu-count')) !== '1') fail('the scheduled one is no longer counted');
  console.log('DONE ' + sid);
  const late = (await nextLine()).split(' ')[1];
  const row = `#fu-list li.scheduled.overdue[data-fid="${late}"]`;
  await step('marked overdue', desk.waitForSelector(`${row} >> text=Overdue since`, T));
  const count = await desk.textContent('#fu-count');
  if (count !== '2 (1 overdue)') fail('the count says ' + count);
  await desk.screenshot({ path: path.join(shots, 'desk-14-followup-overdue.png') });
  console.log('OVERDUE');
});
