// SPDX-License-Identifier: MIT
// Drives a course lesson in headless Chromium through the DevTools protocol, as a
// learner would: arrow keys and clicks, one right answer and one wrong one, checking
// the page's state after each, then the print layout; fails on any console error.
//   node --experimental-websocket course_browser.mjs COURSE_DIR LESSON_FILE PROFILE_DIR
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [courseDir, lessonFile, profile] = process.argv.slice(2);
const course = JSON.parse(readFileSync(join(courseDir, 'course.json'), 'utf8'));
const lesson = course.lessons.find((l) => l.file === lessonFile);
if (!lesson) throw new Error(`${lessonFile} is not in course.json`);

let failures = 0, checks = 0;
const check = (ok, what) => {
  if (ok) ++checks;
  else { ++failures; console.log(`FAIL: ${what}`); }
};

// Chromium says where its DevTools endpoint listens on stderr: wait for that line.
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
  `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1280,900', 'about:blank'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
const endpoint = await new Promise((resolve, reject) => {
  let seen = '';
  const timer = setTimeout(() => reject(new Error('chromium did not start DevTools in 20 s')), 20000);
  chrome.stderr.on('data', (d) => {
    seen += d;
    const m = seen.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
  chrome.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${seen.slice(-500)}`)));
});

const ws = new WebSocket(endpoint);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
let nextId = 1;
const pending = new Map(), waiters = [];
const errors = [];
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    return;
  }
  if (msg.method === 'Runtime.exceptionThrown') errors.push(msg.params.exceptionDetails.text +
    ' ' + (msg.params.exceptionDetails.exception?.description ?? ''));
  if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(msg.params.type))
    errors.push(`console.${msg.params.type}: ${msg.params.args.map((a) => a.value ?? a.description).join(' ')}`);
  if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error')
    errors.push(`log: ${msg.params.entry.text} ${msg.params.entry.url ?? ''}`);
  for (const w of waiters.splice(0)) if (!w(msg)) waiters.push(w);
};
let session;
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }));
});
const event = (name, ms = 10000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ${name} in ${ms} ms`)), ms);
  waiters.push((msg) => {
    if (msg.method !== name) return false;
    clearTimeout(timer);
    resolve(msg.params);
    return true;
  });
});

const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
({ sessionId: session } = await send('Target.attachToTarget', { targetId, flatten: true }));
await send('Page.enable');
await send('Runtime.enable');
await send('Log.enable');

async function open(file) {
  const loaded = event('Page.loadEventFired');
  await send('Page.navigate', { url: 'file://' + join(courseDir, file) });
  await loaded;
}
async function js(expression) {
  const r = await send('Runtime.evaluate', { expression, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
  return r.result.value;
}
const KEYS = { ArrowRight: 39, ArrowLeft: 37, 1: 49, 2: 50, 3: 51, 4: 52, 5: 53, 6: 54, 7: 55, 8: 56, 9: 57 };
async function key(k) {
  const code = /^\d$/.test(k) ? `Digit${k}` : k;
  const base = { key: k, code, windowsVirtualKeyCode: KEYS[k], nativeVirtualKeyCode: KEYS[k] };
  await send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...base });
  await send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
}
async function click(selector) {
  const box = await js(`(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
    return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()`);
  for (const type of ['mousePressed', 'mouseReleased'])
    await send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
}
const state = () => js(`(() => ({
  shown: Number(document.body.dataset.shown), pending: Number(document.body.dataset.pending),
  visible: document.querySelectorAll('#diagram g.step:not(.hidden)').length,
  steps: document.querySelectorAll('#diagram g.step').length,
  log: document.querySelectorAll('#log li').length,
  question: !document.getElementById('question').hidden,
  asked: document.getElementById('asked').textContent,
  choices: Array.from(document.querySelectorAll('#choices button')).map(b => b.dataset.choice),
  feedback: document.getElementById('feedback').hidden ? '' : document.getElementById('feedback').className,
  verdict: document.getElementById('verdict').textContent,
  rule: document.getElementById('rule').textContent,
  score: document.getElementById('score').textContent,
  now: document.getElementById('now').textContent,
  next: document.getElementById('next').disabled,
  focus: document.activeElement ? (document.activeElement.dataset.choice || document.activeElement.id) : ''
}))()`);

// ---- the lesson ------------------------------------------------------------------
await open(lessonFile);
let s = await state();
check(s.shown === 0 && s.visible === 0 && !s.question && s.score === 'Score: 0 of 0',
  `a fresh lesson shows nothing yet: ${JSON.stringify(s)}`);
check(s.steps > 0, 'the ladder has its steps');
await key('ArrowRight');
s = await state();
check(s.shown === 1 && s.visible === 1 && s.log === 1, `ArrowRight shows the first step: ${JSON.stringify(s)}`);
await key('ArrowLeft');
s = await state();
check(s.shown === 0 && s.visible === 0 && s.log === 0, `ArrowLeft takes it back: ${JSON.stringify(s)}`);
await click('#next');
s = await state();
check(s.shown === 1 && s.visible === 1, `the Next button steps too: ${JSON.stringify(s)}`);

async function toQuestion() {
  for (let k = 0; k < 200; ++k) {
    s = await state();
    if (s.question && s.pending >= 0) return true;
    if (s.shown >= s.steps) return false;
    await key('ArrowRight');
  }
  return false;
}

const [first, second] = lesson.questions;
check(first && second, `${lessonFile} has two questions to answer`);
// The first question: answered right, with the mouse.
check(await toQuestion(), 'the lesson stops at its first question');
const before = s.shown;
check(s.asked === first.asked, `it asks about "${first.asked}", not "${s.asked}"`);
check(s.visible === s.shown, 'the asked call is not drawn before the answer');
check(s.next, 'Next waits for the answer');
check(s.choices.includes(first.answer) && s.choices.length >= 3, `the choices hold the answer: ${s.choices}`);
check(s.focus === s.choices[0], `the first choice has the focus (${s.focus})`);
check(!/returns? -?\d|= -1/.test(s.now), `the step line does not give the answer away: ${s.now}`);
await key('ArrowRight');
s = await state();
check(s.shown === before && s.pending >= 0, 'ArrowRight does not skip the question');
await click(`#choices button[data-choice="${first.answer}"]`);
s = await state();
check(s.feedback === 'right' && s.verdict.startsWith('Right'), `a right answer says so: ${s.verdict}`);
check(s.score === 'Score: 1 of 1', `score after a right answer: ${s.score}`);
check(s.shown === before + 1 && s.visible === before + 1, 'the answer reveals the call on the ladder');
check(s.rule.length > 20, `the answer gives the rule: ${s.rule}`);
check(!s.next, 'Next goes on after the answer');

// The second question: answered wrong, with a digit key.
check(await toQuestion(), 'the lesson stops at its second question');
check(s.asked === second.asked, `it asks about "${second.asked}", not "${s.asked}"`);
const wrong = s.choices.findIndex((c) => c !== second.answer);
await key(String(wrong + 1));
s = await state();
check(s.feedback === 'wrong' && s.verdict.includes(`it returned ${second.answer}`),
  `a wrong answer says what it returned: ${s.verdict}`);
check(s.score === 'Score: 1 of 2', `score after a wrong answer: ${s.score}`);
const marks = await js(`Array.from(document.querySelectorAll('#choices button')).map(b => b.className + ':' + b.disabled)`);
check(marks[wrong] === 'wrong:true' && marks[s.choices.indexOf(second.answer)] === 'right:true',
  `the wrong pick and the right answer are marked: ${marks}`);

// To the end, answering whatever else it asks.
for (let k = 0; k < 400; ++k) {
  s = await state();
  if (s.shown >= s.steps) break;
  if (s.pending >= 0) await key('1');
  else await key('ArrowRight');
}
s = await state();
check(s.shown === s.steps && s.visible === s.steps && s.next, `the end of the lesson: ${JSON.stringify(s)}`);
check(s.score.endsWith(`of ${lesson.questions.length}`), `every question was counted: ${s.score}`);

// Printed, every step shows and the controls do not.
await send('Emulation.setEmulatedMedia', { media: 'print' });
await key('ArrowLeft');
await key('ArrowLeft');
const print = await js(`(() => ({
  hidden: Array.from(document.querySelectorAll('#diagram g.step')).filter(g => getComputedStyle(g).visibility !== 'visible').length,
  controls: getComputedStyle(document.querySelector('.controls')).display,
  all: getComputedStyle(document.querySelector('.print-only')).display }))()`);
check(print.hidden === 0 && print.controls === 'none' && print.all === 'block', `print layout: ${JSON.stringify(print)}`);
await send('Emulation.setEmulatedMedia', { media: '' });

// The index links every lesson, and every lesson page loads clean.
await open('index.html');
const links = await js(`Array.from(document.querySelectorAll('ol.chapter a')).map(a => a.getAttribute('href'))`);
check(links.length === course.lessons.length, `index.html links ${links.length} lessons of ${course.lessons.length}`);
for (const f of readdirSync(courseDir).filter((f) => f.startsWith('lesson-'))) {
  await open(f);
  const n = await js(`document.querySelectorAll('#diagram g.step').length`);
  check(n > 0, `${f} has a ladder to step through`);
}

check(errors.length === 0, `no console errors: ${errors.join(' | ')}`);
console.log(`course browser: ${checks} passed, ${failures} failed`);
ws.close();
chrome.kill();
process.exit(failures ? 1 : 0);
