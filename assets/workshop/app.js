// The workshop page's script: it keeps the server-rendered page live from
// /api/events (server-sent events; EventSource reconnects by itself and
// resumes with Last-Event-ID), recomputes the ✓ column for the chosen
// checkpoint, and expands a row into the learner's timeline
// (/api/learners/{name}). Read-only: it never changes anything.
(() => {
  'use strict';
  const cfg = JSON.parse(document.getElementById('config').textContent);
  const T = cfg.t, steps = cfg.steps;
  const fmt = (s, d) => s.replace(/\{(\w+)\}/g, (_, k) => (k in d ? d[k] : ''));
  // API URLs carry the page's token, language and projector mode.
  const here = new URLSearchParams(location.search), pass = new URLSearchParams();
  for (const k of ['token', 'lang', 'projector']) if (here.get(k)) pass.set(k, here.get(k));
  const api = path => path + (pass.toString() ? '?' + pass : '');
  const skew = cfg.now - Date.now(), now = () => Date.now() + skew;
  let snap = cfg.snapshot, checkpoint = cfg.checkpoint;
  const details = new Map(); // expanded learner → detail (null while loading)

  const glyphs = { reached: '✓', done: '✓', working: '▶', stuck: '⚠', failing: '✗', 'not-started': '○' };
  const shown = l => (checkpoint > 0 && l.stepIndex >= checkpoint ? 'reached' : glyphs[l.state] ? l.state : 'working');
  const urgency = s => (s === 'failing' ? 0 : s === 'stuck' ? 1 : 2);
  const none = t => !t || t.startsWith('0001-');
  const two = n => String(n).padStart(2, '0');
  const age = t => {
    const s = Math.max(0, Math.floor((now() - Date.parse(t)) / 1000)), m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (s < 60) return fmt(T.ageSec, { S: s });
    if (m < 60) return fmt(T.ageMin, { M: m, S: two(s % 60) });
    if (h < 24) return fmt(T.ageHour, { H: h, M: two(m % 60) });
    return fmt(T.ageDay, { D: Math.floor(h / 24), H: two(h % 24) });
  };
  const clock = t => (none(t) ? '' : new Date(Date.parse(t)).toLocaleTimeString([], { hour12: false }));
  const stepCount = () => Math.max(steps.length, 0, ...snap.learners.map(l => l.stepIndex));
  const title = (n, id) => (steps[n - 1] ? steps[n - 1].title : id);
  const label = l => (cfg.hidden ? fmt(T.learnerN, { N: l.name }) : l.name);
  const el = (tag, props, ...kids) => {
    const e = Object.assign(document.createElement(tag), props || {});
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };

  function render() {
    const ls = snap.learners;
    document.getElementById('header').textContent = fmt(T.header, { Workshop: snap.workshop, Lesson: T.lessonTitle || snap.lesson, Count: ls.length });
    const per = {};
    for (const l of ls) { const s = shown(l) === 'done' ? 'reached' : shown(l); per[s] = (per[s] || 0) + 1; }
    for (const c of document.querySelectorAll('#counts .count')) c.textContent = (per[c.dataset.state] || 0) + ' ' + glyphs[c.dataset.state];
    const reached = ls.filter(l => checkpoint > 0 && l.stepIndex >= checkpoint).length;
    document.getElementById('cpline').textContent = checkpoint > 0
      ? fmt(T.checkpoint, { N: checkpoint, Title: title(checkpoint, ''), Reached: reached, Count: ls.length }) : T.noCheckpoint;
    // The histogram: learners per step reached.
    const n = stepCount(), hist = new Array(n + 1).fill(0);
    for (const l of ls) hist[Math.min(Math.max(l.stepIndex, 0), n)]++;
    const top = Math.max(1, ...hist);
    document.getElementById('hist').replaceChildren(...hist.map((k, i) => el('div', { className: 'col' + (checkpoint > 0 && i === checkpoint ? ' cp' : '') },
      el('span', { className: 'n', textContent: k || '' }), el('div', { className: 'bar', style: `height: ${(k * 100) / top}%` }),
      el('span', { className: 'label', textContent: i === 0 ? '○' : String(i) }))));
    // The rows: failing and stuck first, then by step ascending.
    const order = ls.map((l, i) => [l, i]).sort(([a, i], [b, j]) => urgency(a.state) - urgency(b.state) || a.stepIndex - b.stepIndex || i - j);
    const body = document.querySelector('#learners tbody');
    if (!ls.length) return body.replaceChildren(el('tr', null, el('td', { colSpan: 5, textContent: T.noLearners })));
    body.replaceChildren(...order.flatMap(([l]) => {
      const st = shown(l);
      const tr = el('tr', { className: 'learner ' + st },
        el('td', { textContent: label(l) }),
        el('td', { textContent: l.stepIndex > 0 ? l.stepIndex + ' ' + title(l.stepIndex, l.step) : '—' }),
        el('td', { className: 'since', textContent: none(l.since) ? '—' : age(l.since) }),
        el('td', { textContent: glyphs[st] + ' ' + T[st] }),
        el('td', { className: 'warn', textContent: l.lastWarning + ' ' },
          l.lastWarning && !none(l.lastWarningAt) ? el('span', { className: 'age', textContent: fmt(T.ago, { Age: age(l.lastWarningAt) }) }) : null));
      tr.dataset.name = l.name;
      tr.dataset.state = st;
      tr.onclick = () => toggle(l.name);
      return details.has(l.name) ? [tr, detailRow(details.get(l.name))] : [tr];
    }));
  }

  // detailRow is a learner's timeline, last events and pods under their row.
  function detailRow(d) {
    const td = el('td', { colSpan: 5 });
    const row = el('tr', { className: 'detail' }, td);
    if (!d) return td.append(T.loading), row;
    if (d.error) return td.append(fmt(T.detailFailed, { Err: d.error })), row;
    const list = (lines, time) => (lines && lines.length ? lines : [{ text: T.none }]).map(x =>
      el('li', { className: x.warn ? 'warn' : '', textContent: (x.warn ? '⚠ ' : '  ') + (time && x.at ? clock(x.at) + '  ' : '') + x.text }));
    td.append(el('h3', { textContent: T.steps }), el('ol', null, ...(d.steps || []).map((s, i) => {
      const [g, note, cls] = s.done && s.pushed ? ['⇢', T.pushed, ''] : s.done ? ['✓', '', ''] : s.inside ? ['?', T.deep, 'warn'] : ['·', '', 'todo'];
      const line = `${g} ${String(i + 1).padStart(2)} ${title(i + 1, s.id)}  ${s.done ? clock(s.at) : ''}  ${note}`;
      return el('li', { className: cls, textContent: line.trimEnd() });
    })));
    td.append(el('h3', { textContent: T.events }), el('ul', null, ...list(d.events, true)));
    td.append(el('h3', { textContent: T.pods }), el('ul', null, ...list(d.pods, false)));
    return row;
  }

  function load(name) {
    fetch(api('/api/learners/' + encodeURIComponent(name)))
      .then(r => r.json().then(j => (r.ok ? j : { error: j.error || r.statusText })))
      .catch(e => ({ error: String(e) }))
      .then(d => { if (details.has(name)) { details.set(name, d); render(); } });
  }

  function toggle(name) {
    if (details.has(name)) details.delete(name);
    else { details.set(name, null); load(name); }
    render();
  }

  document.getElementById('checkpoint').onchange = e => {
    checkpoint = Number(e.target.value);
    const q = new URLSearchParams(location.search);
    checkpoint ? q.set('checkpoint', checkpoint) : q.delete('checkpoint');
    history.replaceState(null, '', '?' + q);
    render();
  };

  const conn = document.getElementById('conn');
  const live = up => { conn.classList.toggle('down', !up); conn.title = up ? T.live : T.reconnecting; conn.dataset.live = up; };
  const es = new EventSource(api('/api/events'));
  es.onopen = () => live(true);
  es.onerror = () => live(false);
  es.addEventListener('snapshot', e => {
    snap = JSON.parse(e.data);
    for (const name of details.keys()) load(name);
    render();
  });
  es.addEventListener('row', e => {
    const { index, learner } = JSON.parse(e.data);
    snap.learners[index] = learner;
    if (details.has(learner.name)) load(learner.name);
    render();
  });
  // Times on step grow with the clock, not with events.
  setInterval(() => {
    for (const l of snap.learners) {
      const td = document.querySelector(`tr.learner[data-name="${CSS.escape(l.name)}"] td.since`);
      if (td && !none(l.since)) td.textContent = age(l.since);
    }
  }, 1000);
  render();
})();
