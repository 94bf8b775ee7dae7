// The search page of `colloquy serve` (issue #14): reads its state from the URL, asks the JSON API
// (/api/search, /api/show, /api/stats) and draws hits, a concordance or a conversation.
//
// Corpus text is untrusted: every string from the API reaches the page through textContent or
// createTextNode, never through innerHTML. Offsets from the API (highlights, guesses, spans) are
// Unicode scalar values, so text is sliced with Array.from, not with UTF-16 string indices.
'use strict';

const $ = (id) => document.getElementById(id);

/** Languages the detector names, for facet labels; unknown codes show as they are. */
const LANGS = {
  zh: 'Chinese', en: 'English', ja: 'Japanese', ko: 'Korean', fr: 'French', es: 'Spanish',
  de: 'German', ru: 'Russian', it: 'Italian', pt: 'Portuguese',
};
const FACET_TITLES = { speaker: 'Speaker', lang: 'Language' };
const DEFAULTS = { context: 1, sort: 'score', view: 'hits', limit: 20 };

/** The last search URL shown, so the conversation view can link back to it. */
let lastSearch = '/';
/** Bumped by every render: a response for an older one is dropped. */
let generation = 0;
let inflight = null;

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** An element with attributes and children (strings become text nodes, never markup). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// ---------------------------------------------------------------------------------------------
// State <-> URL

/** The search state a query string describes. */
function readState(search) {
  const p = new URLSearchParams(search);
  const int = (key, dflt) => {
    const n = Number.parseInt(p.get(key) ?? '', 10);
    return Number.isFinite(n) && n >= 0 ? n : dflt;
  };
  return {
    q: p.get('q') ?? '',
    speaker: p.getAll('speaker'),
    lang: p.getAll('lang'),
    where: p.getAll('where'),
    since: p.get('since') ?? '',
    until: p.get('until') ?? '',
    context: Math.min(int('context', DEFAULTS.context), 10),
    sort: p.get('sort') || DEFAULTS.sort,
    view: p.get('view') === 'kwic' ? 'kwic' : 'hits',
    exact: p.get('exact') === '1' || p.get('exact') === 'true',
    mixed: p.get('mixed') === '1' || p.get('mixed') === 'true',
    offset: int('offset', 0),
    limit: Math.max(1, Math.min(int('limit', DEFAULTS.limit), 500)),
  };
}

/** The page's own query string for a state: defaults are left out, so shared URLs stay short. */
function pageQuery(st) {
  const p = new URLSearchParams();
  if (st.q) p.set('q', st.q);
  for (const key of ['speaker', 'lang', 'where']) for (const v of st[key]) p.append(key, v);
  if (st.since) p.set('since', st.since);
  if (st.until) p.set('until', st.until);
  if (st.view !== DEFAULTS.view) p.set('view', st.view);
  if (st.context !== DEFAULTS.context) p.set('context', String(st.context));
  if (st.sort !== DEFAULTS.sort) p.set('sort', st.sort);
  if (st.exact) p.set('exact', '1');
  if (st.mixed) p.set('mixed', '1');
  if (st.offset) p.set('offset', String(st.offset));
  if (st.limit !== DEFAULTS.limit) p.set('limit', String(st.limit));
  return p.toString();
}

/** The API request for a state. Concordance orders only apply to the KWIC view. */
function apiQuery(st) {
  const p = new URLSearchParams();
  p.set('q', st.q);
  for (const key of ['speaker', 'lang', 'where']) for (const v of st[key]) p.append(key, v);
  if (st.since) p.set('since', st.since);
  if (st.until) p.set('until', st.until);
  const kwicSort = st.sort === 'left1' || st.sort === 'right1';
  if (st.view === 'kwic') p.set('kwic', 'true');
  if (st.view === 'kwic' || !kwicSort) p.set('sort', st.sort);
  p.set('context', String(st.context));
  if (st.exact) p.set('exact', 'true');
  if (st.mixed) p.set('mixed', 'true');
  p.set('offset', String(st.offset));
  p.set('limit', String(st.limit));
  return '/api/search?' + p.toString();
}

function searchUrl(st) {
  const qs = pageQuery(st);
  return qs ? '/?' + qs : '/';
}

/** A conversation's URL; with the query, the conversation view highlights its matches too. */
function convUrl(conversation, turn, q) {
  const hash = turn === undefined ? '' : '#turn-' + turn;
  const search = q ? '?' + new URLSearchParams({ q }).toString() : '';
  return '/c/' + encodeURIComponent(conversation) + search + hash;
}

/** In-page navigation: a new history entry, then draw what it names. */
function go(url, extra) {
  history.pushState({ ...(extra || {}) }, '', url);
  route();
}

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || 'HTTP ' + status);
    this.status = status;
    this.kind = error && error.kind;
    this.position = error && error.position;
  }
}

async function getJSON(url, signal) {
  const response = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body && body.error);
  if (body === null) throw new ApiError(response.status, { message: 'the server sent no JSON' });
  return body;
}

/** Starts a request for the current render, cancelling the one before. */
function request(url) {
  if (inflight) inflight.abort();
  inflight = new AbortController();
  return getJSON(url, inflight.signal);
}

// ---------------------------------------------------------------------------------------------
// Text with highlights and repaired characters

/**
 * A turn's text as nodes: `<mark>` over highlighted chars, `.rep` over characters repair chose
 * (hover or focus shows the guess). `highlights` are [start, end] and guesses {start, end} in chars.
 */
function renderText(text, highlights, guesses) {
  const chars = Array.from(text || '');
  const n = chars.length;
  const clamp = (x) => Math.max(0, Math.min(n, Number(x) || 0));
  const marks = (highlights || []).map(([s, e]) => [clamp(s), clamp(e)]).filter(([s, e]) => s < e);
  const reps = (guesses || []).filter((g) => clamp(g.start) < clamp(g.end));
  const cuts = new Set([0, n]);
  for (const [s, e] of marks) cuts.add(s).add(e);
  for (const g of reps) cuts.add(clamp(g.start)).add(clamp(g.end));
  const points = [...cuts].sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i++) {
    const [s, e] = [points[i], points[i + 1]];
    let node = document.createTextNode(chars.slice(s, e).join(''));
    const guess = reps.find((g) => clamp(g.start) <= s && e <= clamp(g.end));
    if (guess) {
      const span = el('span', { class: 'rep', tabindex: '0', 'data-start': guess.start,
        'aria-label': repLabel(guess) }, node);
      span.guess = guess;
      node = span;
    }
    if (marks.some(([a, b]) => a <= s && e <= b)) node = el('mark', {}, node);
    frag.append(node);
  }
  return frag;
}

function percent(p) {
  const x = Number(p) * 100;
  return (x >= 10 || x === 0 ? x.toFixed(0) : x.toFixed(1)) + ' %';
}

function repLabel(g) {
  const alts = (g.alternatives || []).map((a) => `${a.text} ${percent(a.probability)}`);
  return `repaired ${g.chosen} from ${g.original}, ${percent(g.confidence)}` +
    (alts.length ? `; runners-up ${alts.join(', ')}` : '');
}

/** The tooltip of a repaired run: what was read, what was chosen, and the runners-up. */
function showTip(target) {
  const g = target.guess;
  const tip = $('tip');
  clear(tip);
  const alts = g.alternatives || [];
  tip.append(
    el('div', { class: 'tip-row' }, el('span', { class: 'tip-k', text: 'repaired' }),
      el('b', { class: 'tip-chosen', text: g.chosen }), ` ${percent(g.confidence)}`),
    el('div', { class: 'tip-row' }, el('span', { class: 'tip-k', text: 'original' }),
      el('code', { class: 'tip-original', text: g.original }),
      g.code_page ? el('span', { class: 'tip-cp', text: ` as ${g.code_page}` }) : null),
    alts.length
      ? el('div', { class: 'tip-row' }, el('span', { class: 'tip-k', text: 'runners-up' }),
        el('ul', { class: 'tip-alts' },
          alts.map((a) => el('li', {}, el('b', { text: a.text }), ` ${percent(a.probability)}`))))
      : el('div', { class: 'tip-row tip-none', text: 'no runner-up' }),
  );
  tip.hidden = false;
  const r = target.getBoundingClientRect();
  const w = tip.offsetWidth;
  const left = Math.max(4, Math.min(window.scrollX + r.left, window.scrollX + innerWidth - w - 4));
  tip.style.left = left + 'px';
  tip.style.top = window.scrollY + r.bottom + 6 + 'px';
  target.setAttribute('aria-describedby', 'tip');
}

function hideTip() {
  $('tip').hidden = true;
  for (const t of document.querySelectorAll('[aria-describedby="tip"]')) {
    t.removeAttribute('aria-describedby');
  }
}

// ---------------------------------------------------------------------------------------------
// Search view

/** Display columns of a label: CJK and other wide characters take two. */
function columns(text) {
  return Array.from(text).reduce((n, c) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(c) ? 2 : 1), 0);
}

/** Sizes the turn-label column of `box` to its longest label (speaker names vary: A, assistant). */
function fitLabels(box) {
  const widest = Math.max(0, ...[...box.querySelectorAll('.who')].map((w) => columns(w.textContent)));
  box.style.setProperty('--who', `${Math.min(Math.max(widest, 4), 16) + 1}ch`);
  return box;
}

function turnLabel(turn, kind) {
  return `${turn.turn}${kind === 'hit' ? ':' : '-'}${turn.speaker}`;
}

/** One turn of an exchange: number and speaker, then its text (highlights only on the hit). */
function renderTurn(turn, kind) {
  const row = el('div', { class: 'turn ' + kind, 'data-turn': turn.turn },
    el('span', { class: 'who', text: turnLabel(turn, kind), title: turnLabel(turn, kind) }),
    el('div', { class: 'text' },
      renderText(turn.text, kind === 'hit' ? turn.highlights : [], turn.guesses)));
  if (kind === 'hit') row.setAttribute('aria-label', `hit: turn ${turn.turn} by ${turn.speaker}`);
  if (turn.time) row.insertBefore(el('time', { text: turn.time }), row.children[1]);
  return row;
}

function renderHit(hit, index) {
  const ctx = hit.context || {};
  const href = convUrl(hit.conversation, hit.turn, currentQuery());
  const langs = (hit.languages || []).join(' ');
  return fitLabels(el('article', { class: 'exchange', tabindex: '-1', 'data-index': index,
    'data-href': href },
  el('header', {},
    el('a', { class: 'conv-link', href, text: hit.title || hit.conversation }),
    el('span', { class: 'conv-id', text: hit.conversation }),
    langs ? el('span', { class: 'langs', text: langs }) : null),
  (ctx.before || []).map((t) => renderTurn(t, 'ctx')),
  renderTurn(hit, 'hit'),
  (ctx.after || []).map((t) => renderTurn(t, 'ctx'))));
}

function renderKwicRow(row, index) {
  const href = convUrl(row.conversation, row.turn, currentQuery());
  return el('div', { class: 'kwic-row', tabindex: '-1', 'data-index': index, 'data-href': href },
    el('a', { class: 'ref', href, text: `${row.conversation}:${row.turn}` }),
    el('span', { class: 'spk', text: row.speaker }),
    el('span', { class: 'left' }, el('span', { text: row.left })),
    el('mark', { class: 'match', text: row.match }),
    el('span', { class: 'right', text: row.right }));
}

function currentQuery() {
  return readState(location.search).q;
}

function plural(n, one, many) {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

function statusText(data, st, shown) {
  const total = Number(data.total_hits) || 0;
  const took = typeof data.took_ms === 'number' ? ` · ${data.took_ms.toFixed(1)} ms` : '';
  if (!total) return `no hits${took}`;
  const range = shown ? ` · ${st.offset + 1}–${st.offset + shown}` : '';
  return `${plural(total, 'hit', 'hits')}${range}${took}`;
}

/** Facets: each value with its count of matching turns; a click toggles it as a filter. */
function renderFacets(facets, st) {
  const box = $('facets');
  clear(box);
  // Speaker and language filter by their own parameter; each metadata key by `where=key=value`.
  const groups = Object.entries(facets || {})
    .filter(([key]) => key !== 'metadata')
    .map(([key, values]) => [key, values, key in FACET_TITLES ? key : 'where']);
  for (const { key, values } of (facets && facets.metadata) || []) groups.push([key, values, 'where']);
  for (const [key, values, param] of groups) {
    if (!Array.isArray(values) || !values.length) continue;
    const list = el('ul', {});
    for (const { value, count } of values) {
      const filter = param === 'where' ? `${key}=${value}` : String(value);
      const active = isActive(st[param], filter);
      const label = key === 'lang' && LANGS[value] ? `${value} · ${LANGS[value]}` : String(value);
      list.append(el('li', {}, el('button', {
        type: 'button', class: 'facet', 'aria-pressed': active ? 'true' : 'false',
        'data-facet': key, 'data-value': String(value),
        onclick: () => toggleFilter(param, filter),
      }, el('span', { class: 'facet-value', text: label }),
      el('span', { class: 'count', text: Number(count).toLocaleString('en') }))));
    }
    box.append(el('section', { 'data-facet': key },
      el('h3', { text: param === 'where' ? key : FACET_TITLES[key] || key }), list));
  }
  box.append(whereForm());
}

/** Metadata filters typed as `model=gpt-4`: for keys the facets leave out (ids, free text). */
function whereForm() {
  const input = el('input', { type: 'text', id: 'where', placeholder: 'key=value',
    'aria-label': 'metadata filter key=value', spellcheck: 'false' });
  const form = el('form', { class: 'where', onsubmit: (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (/^[^=]+=.+$/.test(value)) {
      toggleFilter('where', value);
    } else {
      input.setCustomValidity('write key=value');
      input.reportValidity();
    }
  } }, el('h3', { text: 'Metadata' }), input);
  input.addEventListener('input', () => input.setCustomValidity(''));
  return form;
}

function isActive(values, value) {
  return values.some((v) => v.toLowerCase() === value.toLowerCase());
}

function toggleFilter(param, value) {
  const st = readState(location.search);
  st[param] = isActive(st[param], value)
    ? st[param].filter((v) => v.toLowerCase() !== value.toLowerCase())
    : [...st[param], value];
  st.offset = 0;
  go(searchUrl(st));
}

/** The active filters as removable chips (a filter may match nothing, so no facet shows it). */
function renderChips(st) {
  const box = $('chips');
  clear(box);
  for (const param of ['speaker', 'lang', 'where']) {
    for (const value of st[param]) {
      box.append(el('button', { type: 'button', class: 'chip', title: 'remove this filter',
        onclick: () => toggleFilter(param, value) }, `${param}: ${value} ×`));
    }
  }
}

function renderPager(st, data, shown) {
  const box = $('pager');
  clear(box);
  const total = Number(data.total_hits) || 0;
  if (st.offset === 0 && st.offset + shown >= total) return;
  const page = (offset) => () => go(searchUrl({ ...st, offset }));
  box.append(
    el('button', { type: 'button', disabled: st.offset === 0, onclick: page(Math.max(0, st.offset - st.limit)) }, '← previous'),
    el('button', { type: 'button', disabled: st.offset + st.limit >= total, onclick: page(st.offset + st.limit) }, 'next →'));
}

/** A refused query: the server's message, and the query with the character it points at marked. */
function renderError(err, st) {
  const box = $('hits');
  // The message may end with the CLI's drawing of the query and a caret; the page draws its own.
  const drawn = typeof err.position === 'number';
  const parts = [el('p', { class: 'error-msg', text: drawn ? err.message.split('\n')[0] : err.message })];
  if (drawn) {
    const chars = Array.from(st.q);
    const at = Math.min(err.position, chars.length);
    parts.push(el('pre', { class: 'error-query' }, chars.slice(0, at).join(''),
      el('mark', { class: 'caret', text: chars[at] || ' ' }), chars.slice(at + 1).join('')));
  }
  box.append(el('div', { class: 'error', role: 'alert' }, parts));
}

async function renderIntro(gen) {
  const box = $('hits');
  box.append(el('p', { class: 'intro', text: 'Type a query and press Enter. ? shows the syntax.' }));
  try {
    const stats = await request('/api/stats');
    if (gen !== generation) return;
    const rep = stats.repair || {};
    $('status').textContent = `index: ${plural(stats.conversations || 0, 'conversation', 'conversations')}, ` +
      `${plural(stats.turns || 0, 'turn', 'turns')}` +
      (rep.repaired_turns ? `, ${plural(rep.repaired_turns, 'repaired turn', 'repaired turns')}` : '');
  } catch (_) { /* the intro works without stats */ }
}

function syncControls(st) {
  const q = $('q');
  if (document.activeElement !== q || q.value !== st.q) q.value = st.q;
  for (const r of document.querySelectorAll('input[name=view]')) r.checked = r.value === st.view;
  $('context').value = String(st.context);
  $('context').disabled = st.view === 'kwic';
  $('sort').value = st.sort;
  for (const opt of $('sort').options) {
    opt.disabled = st.view !== 'kwic' && (opt.value === 'left1' || opt.value === 'right1');
  }
  $('exact').checked = st.exact;
  $('mixed').checked = st.mixed;
  document.title = st.q ? `${st.q} — colloquy` : 'colloquy';
}

async function showSearch(st, gen) {
  $('search-view').hidden = false;
  $('conv-view').hidden = true;
  lastSearch = searchUrl(st);
  syncControls(st);
  renderChips(st);
  for (const id of ['hits', 'pager', 'facets']) clear($(id));
  $('status').textContent = '';
  if (!st.q.trim()) return renderIntro(gen);
  $('status').textContent = 'searching…';
  let data;
  try {
    data = await request(apiQuery(st));
  } catch (err) {
    if (gen !== generation || err.name === 'AbortError') return;
    $('status').textContent = '';
    return renderError(err, st);
  }
  if (gen !== generation) return;
  drawResults(st, data);
}

function drawResults(st, data) {
  const box = $('hits');
  const kwic = st.view === 'kwic';
  const rows = kwic ? data.lines || data.rows || [] : data.hits || [];
  box.className = kwic ? 'kwic' : 'exchanges';
  box.append(...rows.map(kwic ? renderKwicRow : renderHit));
  const shown = kwic ? new Set(rows.map((r) => `${r.conversation}\u0000${r.turn}`)).size : rows.length;
  $('status').textContent = statusText(data, st, shown) +
    (kwic && rows.length ? ` · ${plural(rows.length, 'concordance line', 'concordance lines')}` : '');
  renderFacets(data.facets, st);
  renderPager(st, data, shown);
  const sel = history.state && history.state.sel;
  if (typeof sel === 'number') select(sel, false);
}

// ---------------------------------------------------------------------------------------------
// Conversation view

function renderConvTurn(turn) {
  const id = 'turn-' + turn.turn;
  const row = el('div', { class: 'turn', id, tabindex: '-1', 'data-turn': turn.turn },
    el('a', { class: 'who', href: '#' + id, text: `${turn.turn}:${turn.speaker}`,
      title: `${turn.turn}:${turn.speaker}` }),
    el('div', { class: 'text' }, renderText(turn.text, [], turn.guesses)));
  if (turn.time) row.insertBefore(el('time', { text: turn.time }), row.children[1]);
  if (turn.repaired && turn.original) {
    row.append(el('details', { class: 'original' }, el('summary', { text: 'original' }),
      el('pre', { text: turn.original })));
  }
  return row;
}

function renderMetadata(meta) {
  const entries = Object.entries(meta || {});
  if (!entries.length) return null;
  return el('dl', { class: 'meta' }, entries.map(([k, v]) => [
    el('dt', { text: k }),
    el('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) }),
  ]));
}

async function showConversation(id, gen) {
  $('search-view').hidden = true;
  $('conv-view').hidden = false;
  const q = currentQuery();
  // Opened cold from a shared link: "back" goes to the search the link carries.
  if (lastSearch === '/' && q) lastSearch = searchUrl({ ...readState(''), q });
  $('back').href = lastSearch;
  const box = $('conv');
  clear(box);
  box.append(el('p', { class: 'status', text: 'loading…' }));
  let data;
  try {
    data = await request('/api/show?conversation=' + encodeURIComponent(id));
  } catch (err) {
    if (gen !== generation || err.name === 'AbortError') return;
    clear(box);
    box.append(el('div', { class: 'error', role: 'alert' },
      el('p', { class: 'error-msg', text: err.status === 404 ? `no conversation ${id}: ${err.message}` : err.message })));
    return;
  }
  if (gen !== generation) return;
  clear(box);
  document.title = `${data.title || data.conversation} — colloquy`;
  box.append(...[
    el('h1', { text: data.title || data.conversation }),
    el('p', { class: 'conv-meta' }, el('span', { class: 'conv-id', text: data.conversation }), ' · ',
      el('span', { text: data.location || data.source || '' }),
      ' · ', plural((data.turns || []).length, 'turn', 'turns')),
    el('p', { class: 'conv-query', id: 'conv-query' }),
    renderMetadata(data.conversation_metadata || data.metadata),
    data.preamble ? el('pre', { class: 'preamble', text: data.preamble }) : null,
    fitLabels(el('div', { class: 'turns' }, (data.turns || []).map(renderConvTurn))),
  ].filter(Boolean));
  landOnTurn();
  if (q.trim()) await highlightConversation(data, q, gen);
}

/** Marks the query's matches in the conversation shown: its hits, asked of the search API. */
async function highlightConversation(conv, q, gen) {
  const p = new URLSearchParams({ q, conv: conv.conversation, context: '0', limit: '500',
    facets: 'false', sort: 'position' });
  let data;
  try {
    data = await request('/api/search?' + p.toString());
  } catch (_) {
    return; // the conversation reads fine without its highlights
  }
  if (gen !== generation) return;
  for (const hit of data.hits || []) {
    const row = document.getElementById('turn-' + hit.turn);
    const text = row && row.querySelector('.text');
    if (!text || text.textContent !== hit.text) continue;
    clear(text);
    text.append(renderText(hit.text, hit.highlights, hit.guesses));
    row.classList.add('matched');
  }
  $('conv-query').textContent = `${plural(Number(data.total_hits) || 0, 'turn', 'turns')} match ${q}`;
}

/** Marks and scrolls to the turn the URL's #turn-N names. */
function landOnTurn() {
  for (const t of document.querySelectorAll('.turn.target')) t.classList.remove('target');
  const m = /^#turn-(\d+)$/.exec(location.hash);
  if (!m) return window.scrollTo(0, 0);
  const target = document.getElementById('turn-' + m[1]);
  if (!target) return;
  target.classList.add('target');
  const items = navItems();
  select(items.indexOf(target), false);
  target.scrollIntoView({ block: 'center' });
}

// ---------------------------------------------------------------------------------------------
// Routing and keys

function route() {
  hideTip();
  const gen = ++generation;
  const path = location.pathname;
  if (path.startsWith('/c/')) {
    let id;
    try {
      id = decodeURIComponent(path.slice(3));
    } catch (_) {
      id = path.slice(3);
    }
    return showConversation(id, gen);
  }
  return showSearch(readState(location.search), gen);
}

function inConversation() {
  return !$('conv-view').hidden;
}

/** What j/k move between: hits or concordance lines, or the turns of a conversation. */
function navItems() {
  const sel = inConversation() ? '#conv .turn' : '#hits .exchange, #hits .kwic-row';
  return [...document.querySelectorAll(sel)];
}

function select(index, remember = true) {
  const items = navItems();
  if (!items.length || index < 0) return;
  const i = Math.min(index, items.length - 1);
  for (const item of document.querySelectorAll('.selected')) item.classList.remove('selected');
  const item = items[i];
  item.classList.add('selected');
  item.focus({ preventScroll: true });
  item.scrollIntoView({ block: 'nearest' });
  if (!remember) return;
  if (inConversation()) {
    history.replaceState(history.state, '', location.pathname + location.search + '#' + item.id);
  } else {
    history.replaceState({ ...(history.state || {}), sel: i }, '', location.href);
  }
}

function move(step) {
  const items = navItems();
  const current = items.findIndex((x) => x.classList.contains('selected'));
  select(current < 0 ? (step > 0 ? 0 : items.length - 1) : Math.max(0, current + step));
}

function openSelected() {
  const item = document.querySelector('#hits .selected');
  if (item && item.dataset.href) go(item.dataset.href, { fromSearch: true });
}

function back() {
  if (history.state && history.state.fromSearch) history.back();
  else go(lastSearch);
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const typing = t instanceof HTMLElement && (t.matches('input, select, textarea') || t.isContentEditable);
  if (e.key === 'Escape') {
    hideTip();
    if ($('help').open) $('help').open = false;
    else if (typing) {
      e.preventDefault(); // a search input would clear itself, leaving results of a query not shown
      t.blur();
    }
    else if (inConversation()) back();
    return;
  }
  if (typing) return;
  if (e.key === '/') {
    e.preventDefault();
    $('q').focus();
    $('q').select();
  } else if (e.key === 'j' || e.key === 'k') {
    e.preventDefault();
    move(e.key === 'j' ? 1 : -1);
  } else if (e.key === 'Enter' && !inConversation() && !t.matches('a, button, summary')) {
    e.preventDefault();
    openSelected();
  } else if (e.key === '?') {
    $('help').open = !$('help').open;
  }
}

/** Plain clicks on same-origin links stay in the page (history entry, no reload). */
function onClick(e) {
  const a = e.target instanceof Element && e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    history.pushState(history.state, '', url.href);
    return landOnTurn();
  }
  const fromSearch = !inConversation() && url.pathname.startsWith('/c/');
  go(url.pathname + url.search + url.hash, fromSearch ? { fromSearch: true } : {});
}

function onSubmit(e) {
  e.preventDefault();
  const st = readState(location.pathname.startsWith('/c/') ? '' : location.search);
  st.q = $('q').value;
  st.offset = 0;
  go(searchUrl(st));
}

function onControls() {
  const st = readState(location.search);
  st.view = document.querySelector('input[name=view]:checked').value;
  st.context = Number($('context').value);
  st.sort = $('sort').value;
  if (st.view !== 'kwic' && (st.sort === 'left1' || st.sort === 'right1')) st.sort = 'score';
  st.exact = $('exact').checked;
  st.mixed = $('mixed').checked;
  st.offset = 0;
  go(searchUrl(st));
}

function start() {
  history.scrollRestoration = 'manual';
  $('search-form').addEventListener('submit', onSubmit);
  for (const c of document.querySelectorAll('.toolbar input, .toolbar select')) {
    c.addEventListener('change', onControls);
  }
  document.addEventListener('keydown', onKey);
  document.addEventListener('click', onClick);
  document.addEventListener('mouseover', (e) => {
    const rep = e.target instanceof Element && e.target.closest('.rep');
    if (rep) showTip(rep);
  });
  document.addEventListener('mouseout', (e) => {
    if (e.target instanceof Element && e.target.closest('.rep')) hideTip();
  });
  document.addEventListener('focusin', (e) => {
    if (e.target instanceof Element && e.target.matches('.rep')) showTip(e.target);
  });
  document.addEventListener('focusout', (e) => {
    if (e.target instanceof Element && e.target.matches('.rep')) hideTip();
  });
  window.addEventListener('popstate', route);
  window.addEventListener('hashchange', () => inConversation() && landOnTurn());
  route();
}

start();
