// The dedup HTML report's script (report_html.h): renders the clusters from the JSON
// data block, a page at a time, and a side-by-side view on demand. Input strings are
// written with textContent only, never parsed as HTML.
'use strict';
(function () {
  // Errors are recorded where a test (and a person) can see them.
  const errorBox = document.getElementById('errors');
  function recordError(message) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = 'script error: ' + message;
    errorBox.appendChild(p);
    errorBox.hidden = false;
  }
  window.addEventListener('error', (e) => recordError(e.message + ' (line ' + e.lineno + ')'));
  window.addEventListener('unhandledrejection', (e) => recordError(String(e.reason)));
  const consoleError = console.error;
  console.error = function (...args) {
    recordError(args.map(String).join(' '));
    consoleError.apply(console, args);
  };

  const PAGE = 50;
  const data = JSON.parse(document.getElementById('data').textContent);
  const list = document.getElementById('list');
  const filterBox = document.getElementById('filter');
  const sortBox = document.getElementById('sort');
  const countLabel = document.getElementById('count');
  const pageLabel = document.getElementById('page');
  const prev = document.getElementById('prev');
  const next = document.getElementById('next');

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }
  const doc = (i) => data.docs[i] || ['', '', ''];
  const fmt = (x) => Number(x).toFixed(3);

  // Per cluster: its place in the report's order, lowest member similarity, search text.
  const clusters = data.clusters.map((c, order) => {
    let minSim = 1;
    const hay = ['cluster ' + c.c];
    c.m.forEach((m, i) => {
      if (i > 0) minSim = Math.min(minSim, m[2]);
      const d = doc(m[0]);
      hay.push(d[0], d[1], d[2]);
      const t = data.texts[m[0]];
      if (t) hay.push(t.w);
    });
    return { c, order, minSim, hay: hay.join('\n').toLowerCase() };
  });

  let shown = clusters;
  let page = 0;

  function apply() {
    const q = filterBox.value.trim().toLowerCase();
    shown = q ? clusters.filter((x) => x.hay.includes(q)) : clusters.slice();
    const by = sortBox.value;
    if (by === 'label') shown.sort((a, b) => a.c.c - b.c.c);
    else if (by === 'sim') shown.sort((a, b) => a.minSim - b.minSim || a.order - b.order);
    else shown.sort((a, b) => a.order - b.order);
  }

  function render() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    list.replaceChildren(...shown.slice(page * PAGE, (page + 1) * PAGE).map((x) => renderCluster(x.c)));
    countLabel.textContent = shown.length + ' of ' + clusters.length + ' clusters';
    pageLabel.textContent = 'page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function renderCluster(c) {
    const id = 'cluster-' + c.c;
    const head = el('tr', {},
      ...['#', 'id', 'source', 'relation', 'similarity', 'containment', 'start of text', 'side by side']
        .map((h) => el('th', { scope: 'col', text: h })));
    const body = el('tbody');
    const section = el('section', { class: 'cluster', id, 'aria-labelledby': id + '-h' },
      el('h3', { id: id + '-h', text: 'Cluster ' + c.c + ' \u00b7 ' + c.m.length + ' documents' }),
      el('table', {}, el('caption', { class: 'sr', text: 'Members of cluster ' + c.c + '; row 0 is the canonical member' }),
        el('thead', {}, head), body));
    c.m.forEach((m, i) => {
      const d = doc(m[0]);
      const canonical = i === 0;
      const cell = el('td');
      if (!canonical && data.pairs[m[0]]) {
        const panelId = id + '-cmp-' + i;
        const button = el('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': panelId,
          'data-member': String(i), text: 'Compare' });
        button.addEventListener('click', () => toggle(section, c, i, button));
        cell.appendChild(button);
      } else {
        cell.textContent = canonical ? 'canonical' : 'no text';
      }
      body.appendChild(el('tr', { class: canonical ? 'canonical' : '' },
        el('td', { text: String(i) }), el('td', { class: 'id', text: d[0] }), el('td', { text: d[1] }),
        el('td', { text: canonical ? 'canonical' : m[1] }), el('td', { class: 'num', text: fmt(m[2]) }),
        el('td', { class: 'num', text: fmt(m[3]) }), el('td', { class: 'snippet', text: d[2] }), cell));
    });
    return section;
  }

  function toggle(section, c, i, button) {
    const panelId = button.getAttribute('aria-controls');
    let panel = document.getElementById(panelId);
    if (!panel) {
      panel = renderPair(c, i, panelId);
      panel.hidden = true;
      section.appendChild(panel);
    }
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    button.textContent = open ? 'Hide' : 'Compare';
    return panel;
  }

  // One text as lines of tokens: shared runs in <mark>, chrome lines greyed and labelled.
  function renderText(t, shared) {
    const words = t.w ? t.w.split(' ') : [];
    const isShared = new Uint8Array(words.length);
    for (const [a, b] of shared) isShared.fill(1, a, Math.min(b, words.length));
    const chrome = (token) => t.x.some(([a, b]) => token >= a && token < b);
    const box = el('div', { class: 'text' });
    t.l.forEach((start, li) => {
      const end = li + 1 < t.l.length ? t.l[li + 1] : words.length;
      const ignored = chrome(start);
      const line = el('p', { class: ignored ? 'line chrome' : 'line' });
      if (ignored) line.appendChild(el('span', { class: 'tag', text: 'ignored (boilerplate)' }));
      let i = start;
      while (i < end) {
        let j = i;
        while (j < end && isShared[j] === isShared[i]) ++j;
        const piece = words.slice(i, j).join(' ') + (j < end ? ' ' : '');
        line.appendChild(isShared[i] && !ignored ? el('mark', { class: 'shared', text: piece }) : document.createTextNode(piece));
        i = j;
      }
      box.appendChild(line);
    });
    if (t.n > words.length) box.appendChild(el('p', { class: 'cut', text: '\u2026 ' + (t.n - words.length) + ' more tokens not shown' }));
    return box;
  }

  function renderPair(c, i, panelId) {
    const member = c.m[i][0], canonical = c.m[0][0];
    const p = data.pairs[member];
    const row = (name, x, e) => el('tr', {}, el('th', { scope: 'row', text: name }),
      el('td', { class: 'num', text: fmt(x) }), el('td', { class: 'num', text: fmt(e) }));
    const side = (label, d, t, shared) => el('section', { class: 'side', 'aria-label': label + ' ' + d[0] },
      el('h4', {}, label + ': ', el('span', { class: 'id', text: d[0] })), renderText(t, shared));
    return el('div', { class: 'compare', id: panelId, role: 'region', 'aria-label': 'Member ' + i + ' beside the canonical member' },
      el('p', { class: 'verdict', text: 'Decision (as dedup explain): ' + p.v }),
      el('p', { class: 'direction', text: 'Excerpt direction: ' + p.dir }),
      el('table', { class: 'nums' }, el('caption', { class: 'sr', text: 'Exact and estimated values' }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: '' }), el('th', { scope: 'col', text: 'exact' }),
          el('th', { scope: 'col', text: 'estimated' }))),
        el('tbody', {}, row('Jaccard', p.xj, p.ej), row('A contained in B', p.xab, p.eab), row('B contained in A', p.xba, p.eba))),
      el('p', { class: 'passages', text: p.np + (p.np === 1 ? ' shared passage' : ' shared passages') + (p.np ? ', the longest ' + p.lp + ' tokens; highlighted below' : '') }),
      el('div', { class: 'sides' }, side('A (this member)', doc(member), data.texts[member], p.sa),
        side('B (canonical)', doc(canonical), data.texts[canonical], p.sb)));
  }

  // "#cluster=LABEL&member=I" opens that member's side-by-side view; "filter=TEXT" fills
  // the filter box.
  function openFromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    filterBox.value = params.get('filter') || '';
    apply();
    page = 0;
    render();
    if (!params.has('cluster')) return;
    const label = Number(params.get('cluster'));
    const member = Number(params.get('member') || '0');
    const at = shown.findIndex((x) => x.c.c === label);
    if (at < 0) return;
    page = Math.floor(at / PAGE);
    render();
    const section = document.getElementById('cluster-' + label);
    const button = section.querySelector('button[data-member="' + member + '"]');
    if (button && button.getAttribute('aria-expanded') !== 'true') toggle(section, shown[at].c, member, button);
    (button || section).scrollIntoView({ block: 'nearest' });
    if (button) button.focus();
  }

  filterBox.addEventListener('input', () => { apply(); page = 0; render(); });
  sortBox.addEventListener('change', () => { apply(); page = 0; render(); });
  prev.addEventListener('click', () => { --page; render(); });
  next.addEventListener('click', () => { ++page; render(); });
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
  document.body.setAttribute('data-rendered', 'true');
})();
