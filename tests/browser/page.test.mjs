// Browser tests of the page `colloquy serve` serves (issue #14), in headless Chromium driven by
// playwright-core. tests/browser.rs starts the real server and runs this with COLLOQUY_URL set;
// by hand: COLLOQUY_URL=http://127.0.0.1:7700 node --test page.test.mjs
//
// Expected values come from the server's own JSON API for the same request, never from constants:
// the page must show what the API says (counts, highlights, guesses), laid out for a reader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.COLLOQUY_URL || 'http://127.0.0.1:7700').replace(/\/$/, '');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = process.env.SCREENSHOT_DIR || path.join(HERE, '..', '..', 'target', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let context;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(path.join(tmpdir(), 'colloquy-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A fresh tab that fails the test on any script error or console error of the page. */
async function newPage(t, viewport = DESKTOP, { httpErrors = false } = {}) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx answer; a test of refused requests expects them.
    const refused = httpErrors && /^Failed to load resource: .* status of 4\d\d/.test(m.text());
    if (m.type() === 'error' && !refused) problems.push(`console: ${m.text()}`);
  });
  t.after(async () => {
    await page.close();
    assert.deepEqual(problems, [], 'the page logged errors');
  });
  return page;
}

async function api(pathAndQuery) {
  const r = await fetch(BASE + pathAndQuery);
  assert.equal(r.status, 200, `${pathAndQuery} answered ${r.status}`);
  return r.json();
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: false });
const chars = (s, a, b) => Array.from(s).slice(a, b).join('');

/** Types a query in the search box and waits for the results of exactly that query. */
async function search(page, q) {
  await page.fill('#q', q);
  await page.press('#q', 'Enter');
  await page.waitForFunction(() => {
    const status = document.getElementById('status').textContent;
    return document.querySelector('#hits .error') || (status !== '' && !/searching/.test(status)
      && !status.startsWith('index:'));
  });
}

function statusCount(text) {
  const m = /([\d,]+) hits?/.exec(text);
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

test('typing a query shows the count, the time and the hits as exchanges', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/');
  await search(page, 'art');
  const expected = await api('/api/search?q=art&context=1');
  assert.ok(expected.hits.length > 0, 'the sample corpus has hits for art');
  const status = await page.textContent('#status');
  assert.equal(statusCount(status), expected.total_hits, status);
  assert.match(status, /\d+(\.\d+)? ms/, 'the time is shown');
  assert.equal(await page.locator('#hits .exchange').count(), expected.hits.length);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'art', 'the query is in the URL');
  // Each exchange: context turns around a marked hit turn, in the API's order.
  const first = page.locator('#hits .exchange').first();
  const labels = await first.locator('.turn .who').allTextContents();
  const h = expected.hits[0];
  const want = [...h.context.before.map((c) => `${c.turn}-${c.speaker}`), `${h.turn}:${h.speaker}`,
    ...h.context.after.map((c) => `${c.turn}-${c.speaker}`)];
  assert.deepEqual(labels, want);
  assert.equal(await first.locator('.turn.hit').count(), 1);
  await shot(page, 'search');
});

test('highlights mark exactly the matched characters, in CJK and mixed text', async (t) => {
  const page = await newPage(t);
  const q = 'AI 艺术';
  await page.goto(BASE + '/?q=' + encodeURIComponent(q));
  await page.waitForSelector('#hits .exchange');
  const expected = await api('/api/search?q=' + encodeURIComponent(q));
  for (const [i, hit] of expected.hits.entries()) {
    const marks = await page.locator('#hits .exchange').nth(i).locator('.turn.hit mark').allTextContents();
    const want = hit.highlights.map(([a, b]) => chars(hit.text, a, b));
    assert.deepEqual(marks.join('|'), want.join('|'), `hit ${i} highlights`);
    assert.ok(want.some((w) => /艺术/.test(w)), 'a Chinese word is among the highlights');
  }
  await page.locator('#hits .exchange mark').first().scrollIntoViewIfNeeded();
  await shot(page, 'highlight');
});

test('a speaker facet filters the hits, with counts; back and forward restore the state', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/');
  await search(page, 'art');
  const all = await api('/api/search?q=art');
  const facet = all.facets.speaker.at(-1);
  const button = page.locator(`.facet[data-facet="speaker"][data-value="${facet.value}"]`);
  assert.equal(Number(await button.locator('.count').textContent()), facet.count);
  await button.click();
  await page.waitForURL((u) => u.searchParams.getAll('speaker').includes(facet.value));
  await page.waitForSelector('.facet[aria-pressed="true"]');
  const status = await page.textContent('#status');
  assert.equal(statusCount(status), facet.count, 'the count is the facet count');
  const speakers = await page.locator('#hits .turn.hit .who').allTextContents();
  assert.ok(speakers.length > 0);
  for (const s of speakers) assert.ok(s.endsWith(':' + facet.value), `${s} is by ${facet.value}`);
  await shot(page, 'facet');
  await page.goBack();
  await page.waitForFunction((n) => document.getElementById('status').textContent.startsWith(n + ' hit'),
    String(all.total_hits));
  assert.equal(await page.locator('.facet[aria-pressed="true"]').count(), 0);
  await page.goForward();
  await page.waitForSelector('.facet[aria-pressed="true"]');
  assert.equal(statusCount(await page.textContent('#status')), facet.count);
});

test('the code-switched toggle keeps only turns in more than one language', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/?q=art');
  await page.waitForSelector('#hits .exchange');
  await page.check('#mixed');
  await page.waitForURL((u) => u.searchParams.get('mixed') === '1');
  const expected = await api('/api/search?q=art&mixed=true');
  assert.ok(expected.total_hits < (await api('/api/search?q=art')).total_hits, 'the toggle narrows');
  await page.waitForFunction((n) => document.getElementById('status').textContent.startsWith(n + ' hit'),
    String(expected.total_hits));
  assert.ok(expected.hits.every((h) => h.code_switched));
  assert.equal(await page.locator('#hits .exchange').count(), expected.hits.length);
});

test('a typed metadata filter narrows to that metadata; the conversation lists its metadata', async (t) => {
  const page = await newPage(t);
  const expected = await api('/api/search?q=*&where=' + encodeURIComponent('model=gpt-4'));
  if (expected.total_hits === 0) return t.skip('no conversation with model=gpt-4 (tests/browser.rs ingests examples/)');
  await page.goto(BASE + '/?q=*');
  await page.waitForSelector('#hits .exchange');
  await page.fill('#where', 'model=gpt-4');
  await page.press('#where', 'Enter');
  await page.waitForURL((u) => u.searchParams.get('where') === 'model=gpt-4');
  await page.waitForFunction((n) => document.getElementById('status').textContent.startsWith(n + ' hit'),
    String(expected.total_hits));
  assert.equal(await page.locator('.chip').textContent(), 'where: model=gpt-4 ×');
  const ids = await page.locator('#hits .exchange .conv-id').allTextContents();
  assert.deepEqual(ids, expected.hits.map((h) => h.conversation));
  await shot(page, 'metadata');
  // Its conversation (an id with `#`, escaped in the path) shows the metadata under the title.
  await page.locator('#hits .exchange .conv-link').first().click();
  await page.waitForSelector('#conv .meta');
  const meta = await page.locator('#conv .meta').textContent();
  assert.ok(meta.includes('model') && meta.includes('gpt-4'), meta);
});

test('a metadata facet counts its turns and filters by where=key=value', async (t) => {
  const page = await newPage(t);
  const all = await api('/api/search?q=*');
  // tests/browser.rs ingests examples/, whose chat export names a model per conversation.
  const model = all.facets.metadata.find((f) => f.key === 'model');
  assert.ok(model, 'a model facet: ' + JSON.stringify(all.facets.metadata));
  const facet = model.values[0];
  await page.goto(BASE + '/?q=*');
  await page.waitForSelector('#hits .exchange');
  const button = page.locator(`.facet[data-facet="model"][data-value="${facet.value}"]`);
  assert.equal(Number(await button.locator('.count').textContent()), facet.count);
  await button.click();
  await page.waitForURL((u) => u.searchParams.getAll('where').includes(`model=${facet.value}`));
  await page.waitForFunction((n) => document.getElementById('status').textContent.startsWith(n + ' hit'),
    String(facet.count));
  await shot(page, 'metadata-facet');
});

test('a hit opens its conversation on the hit turn; deep links land on the turn', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/?q=' + encodeURIComponent('"social media"'));
  const hit = (await api('/api/search?q=' + encodeURIComponent('"social media"'))).hits.at(-1);
  await page.locator('#hits .exchange .conv-link').last().click();
  await page.waitForSelector('#conv .turn.target');
  const url = new URL(page.url());
  assert.equal(url.pathname, '/c/' + encodeURIComponent(hit.conversation));
  assert.equal(url.hash, '#turn-' + hit.turn);
  const target = page.locator('#turn-' + hit.turn);
  assert.ok(await target.evaluate((e) => e.classList.contains('target')));
  await assert.doesNotReject(target.waitFor({ state: 'visible' }));
  assert.ok(await inViewport(target), 'the hit turn is scrolled into view');
  const shown = await api('/api/show?conversation=' + encodeURIComponent(hit.conversation));
  assert.equal(await page.locator('#conv .turn').count(), shown.turns.length);
  assert.equal(await target.locator('.text').textContent(), shown.turns[hit.turn].text);
  // The query came along in the URL: its matches are marked in the conversation too.
  assert.equal(url.searchParams.get('q'), '"social media"');
  await page.waitForSelector(`#turn-${hit.turn}.matched mark`);
  assert.deepEqual(await target.locator('mark').allTextContents(),
    hit.highlights.map(([a, b]) => chars(hit.text, a, b)));
  await shot(page, 'conversation');

  // A shared deep link, opened cold, lands on its turn too; Esc then goes to the home page.
  const last = shown.turns.length - 1;
  await page.goto(BASE + convPath(hit.conversation) + '#turn-' + last);
  await page.waitForSelector(`#turn-${last}.target`);
  assert.ok(await inViewport(page.locator('#turn-' + last)));
  await page.keyboard.press('Escape');
  await page.waitForURL(BASE + '/');
  assert.ok(await page.locator('#search-view').isVisible());
});

test('repaired characters are marked; hover and focus show the original and the runners-up', async (t) => {
  const page = await newPage(t);
  const q = '话题';
  const expected = await api('/api/search?q=' + encodeURIComponent(q));
  const found = expected.hits.flatMap((hit, i) => hit.guesses
    .filter((g) => g.alternatives.length > 0).map((g) => ({ i, g })));
  assert.ok(found.length > 0, 'the sample corpus has a repaired character with runners-up');
  const { i, g } = found[0];
  await page.goto(BASE + '/?q=' + encodeURIComponent(q));
  await page.waitForSelector('#hits .exchange');
  const hitTurn = page.locator('#hits .exchange').nth(i).locator('.turn.hit');
  const reps = hitTurn.locator('.rep');
  assert.equal(await reps.count() >= expected.hits[i].guesses.length, true, 'every guess is marked');
  const mark = hitTurn.locator(`.rep[data-start="${g.start}"]`).first();
  assert.equal(await mark.textContent(), chars(expected.hits[i].text, g.start, g.end));
  await mark.hover();
  const tip = page.locator('#tip');
  await tip.waitFor({ state: 'visible' });
  const text = await tip.textContent();
  assert.ok(text.includes(g.original), `the tooltip shows the original ${g.original}: ${text}`);
  assert.ok(text.includes(g.chosen));
  for (const alt of g.alternatives) assert.ok(text.includes(alt.text), `runner-up ${alt.text}`);
  assert.match(text, /%/);
  await shot(page, 'repair-tooltip');
  await page.mouse.move(0, 0);
  await tip.waitFor({ state: 'hidden' });
  await mark.focus();
  await tip.waitFor({ state: 'visible' });
  assert.ok((await tip.textContent()).includes(g.original), 'keyboard focus shows it too');
});

test('the KWIC view aligns every match in one column', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/');
  await search(page, 'art');
  await page.check('input[name=view][value=kwic]');
  await page.waitForURL((u) => u.searchParams.get('view') === 'kwic');
  await page.waitForSelector('#hits .kwic-row');
  const expected = await api('/api/search?q=art&kwic=true');
  const lines = expected.lines || expected.rows;
  const matches = await page.locator('#hits .kwic-row .match').allTextContents();
  assert.deepEqual(matches, lines.map((l) => l.match));
  const xs = await page.locator('#hits .kwic-row .match').evaluateAll(
    (ms) => ms.map((m) => Math.round(m.getBoundingClientRect().left)));
  assert.equal(new Set(xs).size, 1, `match columns start at ${[...new Set(xs)]}`);
  await shot(page, 'kwic');
});

test('at phone width (390 px) nothing overflows sideways', async (t) => {
  const page = await newPage(t, PHONE);
  await page.goto(BASE + '/?q=' + encodeURIComponent('mental health'));
  await page.waitForSelector('#hits .exchange');
  await assertNoOverflow(page);
  assert.ok(await page.locator('.facet').first().isVisible(), 'facets are reachable');
  await shot(page, 'phone');
  await page.goto(BASE + '/?q=art&view=kwic');
  await page.waitForSelector('#hits .kwic-row');
  await assertNoOverflow(page);
  await shot(page, 'phone-kwic');
  const hit = (await api('/api/search?q=art')).hits[0];
  await page.goto(BASE + convPath(hit.conversation) + '#turn-' + hit.turn);
  await page.waitForSelector('#conv .turn.target');
  await assertNoOverflow(page);
  await shot(page, 'phone-conversation');
});

test('keys: / focuses the search, j/k move, Enter opens, Esc goes back', async (t) => {
  const page = await newPage(t);
  await page.goto(BASE + '/?q=art');
  await page.waitForSelector('#hits .exchange');
  const hits = (await api('/api/search?q=art')).hits;
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
  await page.keyboard.press('Escape');
  assert.notEqual(await page.evaluate(() => document.activeElement.id), 'q');
  assert.equal(await page.inputValue('#q'), 'art', 'Esc leaves the search box without clearing it');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  const selected = page.locator('#hits .exchange.selected');
  assert.equal(await selected.count(), 1);
  assert.equal(await selected.getAttribute('data-index'), '1');
  await shot(page, 'keyboard');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#conv .turn.target');
  assert.equal(new URL(page.url()).pathname, '/c/' + encodeURIComponent(hits[1].conversation));
  assert.equal(new URL(page.url()).hash, '#turn-' + hits[1].turn);
  await page.keyboard.press('j');
  assert.equal(new URL(page.url()).hash, '#turn-' + (hits[1].turn + 1), 'j moves to the next turn');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#hits .exchange.selected');
  assert.equal(new URL(page.url()).search, '?q=art');
  assert.equal(await page.locator('#hits .exchange.selected').getAttribute('data-index'), '1',
    'back on the results, the same hit is selected');
});

test('a refused query shows the server message and marks where it fails', async (t) => {
  const page = await newPage(t, DESKTOP, { httpErrors: true });
  const q = 'art 话*';
  const r = await fetch(BASE + '/api/search?q=' + encodeURIComponent(q));
  assert.equal(r.status, 400);
  const { error } = await r.json();
  await page.goto(BASE + '/');
  await search(page, q);
  const box = page.locator('#hits .error');
  await box.waitFor();
  const drawn = typeof error.position === 'number';
  assert.equal(await box.locator('.error-msg').textContent(), drawn ? error.message.split('\n')[0] : error.message);
  if (drawn) {
    assert.equal(await box.locator('.caret').textContent(), Array.from(q)[error.position] || ' ');
  }
  await shot(page, 'error');
});

test('corpus text is shown as text, never run as markup', async (t) => {
  const page = await newPage(t);
  const q = 'onerror';
  const expected = await api('/api/search?q=' + q);
  if (expected.total_hits === 0) return t.skip('no hostile turn in this index (tests/browser.rs adds one)');
  await page.goto(BASE + '/?q=' + q);
  await page.waitForSelector('#hits .exchange');
  assert.equal(await page.locator('#hits img, #hits script, #hits b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const text = await page.locator('#hits .turn.hit .text').first().textContent();
  assert.equal(text, expected.hits[0].text);
  assert.equal(await page.evaluate(() => document.title), `${q} — colloquy`);
});

function convPath(id) {
  return '/c/' + encodeURIComponent(id);
}

async function inViewport(locator) {
  return locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
}

async function assertNoOverflow(page) {
  const widths = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth, view: window.innerWidth,
  }));
  assert.ok(widths.doc <= widths.view, `page is ${widths.doc} px wide in a ${widths.view} px window`);
}
