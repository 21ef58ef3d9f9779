/*
 * The dashboard's script, served by the JobManager as is (see dashboard.ts). It is one file of
 * plain browser JavaScript, with no modules or build step for the browser, so it is longer than
 * our ~300 lines; its sections, in order: DOM helpers (text only, never HTML parsing), formatting,
 * HTTP, back-pressure ratios, the overview, the job graph (SVG), watermarks, metric history charts
 * (SVG sparklines), checkpoints, the job page, routing and polling. The answers it reads have the
 * shapes of common/protocol/rest.ts, which its test fixtures are checked against (test/dashboard.test.ts).
 */
(function () {
  'use strict';
  var POLL_MS = 1000;
  var app = document.getElementById('app');
  var connDot = document.getElementById('conn-dot');
  var connText = document.getElementById('conn-text');
  var SVGNS = 'http://www.w3.org/2000/svg';
  var TERMINAL = { FINISHED: 1, FAILED: 1, CANCELED: 1 };
  var STATE_CLASS = {
    RUNNING: 'ok',
    FINISHED: 'info',
    CREATED: '',
    SCHEDULED: '',
    DEPLOYING: 'warn',
    RESTARTING: 'warn',
    CANCELLING: 'warn',
    CANCELED: '',
    FAILED: 'bad',
    IN_PROGRESS: 'warn',
    COMPLETED: 'ok',
  };

  // ---- DOM helpers: text only, never HTML parsing ----
  function add(el, children) {
    if (children == null || children === false) return el;
    if (!Array.isArray(children)) children = [children];
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c == null || c === false) continue;
      if (Array.isArray(c)) add(el, c);
      else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function setProps(el, props) {
    if (!props) return;
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v == null || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'style')
        el.style.cssText = String(v); // CSSOM: allowed by the style-src policy
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, String(v));
    });
  }
  function h(tag, props, children) {
    var el = document.createElement(tag);
    setProps(el, props);
    return add(el, children);
  }
  function s(tag, props, children) {
    var el = document.createElementNS(SVGNS, tag);
    setProps(el, props);
    return add(el, children);
  }
  function badge(state) {
    var st = String(state == null ? 'UNKNOWN' : state);
    var cls = Object.prototype.hasOwnProperty.call(STATE_CLASS, st) ? STATE_CLASS[st] : '';
    return h('span', { class: 'badge' + (cls ? ' ' + cls : ''), 'data-state': st }, st);
  }
  function table(headers, rows, empty) {
    if (!rows.length) return h('div', { class: 'empty' }, empty);
    return h('table', null, [
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map(function (hd) {
            var num = hd.charAt(0) === '#';
            return h('th', num ? { class: 'num' } : null, num ? hd.slice(1) : hd);
          }),
        ),
      ),
      h('tbody', null, rows),
    ]);
  }
  function fill(el, children) {
    el.replaceChildren();
    return add(el, children);
  }
  function td(content, cls) {
    return h('td', cls ? { class: cls } : null, content);
  }

  // ---- formatting ----
  function num(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    var a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(a >= 1e5 ? 0 : 1) + 'k';
    return String(Math.round(n));
  }
  function rate(n) {
    return typeof n === 'number' && isFinite(n) ? num(n) + '/s' : '–';
  }
  function bytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '–';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB';
    return (n / 1073741824).toFixed(1) + ' GiB';
  }
  function dur(ms) {
    if (typeof ms !== 'number' || !isFinite(ms) || ms < 0) return '–';
    if (ms < 1000) return Math.round(ms) + 'ms';
    var sec = Math.floor(ms / 1000);
    if (sec < 60) return ms < 10000 ? (ms / 1000).toFixed(1) + 's' : sec + 's';
    var m = Math.floor(sec / 60),
      d = Math.floor(m / 1440),
      hr = Math.floor(m / 60) % 24;
    if (d) return d + 'd ' + hr + 'h ' + (m % 60) + 'm';
    if (hr) return hr + 'h ' + (m % 60) + 'm ' + (sec % 60) + 's';
    return m + 'm ' + (sec % 60) + 's';
  }
  function time(t) {
    if (typeof t !== 'number' || !isFinite(t)) return '–';
    var d = new Date(t),
      now = new Date();
    return d.toDateString() === now.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  function ago(t) {
    return typeof t === 'number' ? dur(Math.max(0, Date.now() - t)) + ' ago' : '–';
  }
  function pct(r) {
    return typeof r === 'number' && isFinite(r) ? Math.round(r * 100) + '%' : '–';
  }
  function bpLevel(r) {
    return typeof r !== 'number' ? '' : r >= 0.5 ? 'bp-high' : r >= 0.1 ? 'bp-low' : '';
  }
  function clip(str, n) {
    str = String(str);
    return str.length > n ? str.slice(0, n - 1) + '…' : str;
  }
  function jobHref(id) {
    return '#/jobs/' + encodeURIComponent(id);
  }
  function setText(el, v) {
    var t = String(v);
    if (el.textContent !== t) el.textContent = t;
  }

  // ---- HTTP ----
  function ApiError(status, message) {
    this.status = status;
    this.message = message;
  }
  // A cluster with a secret answers 401 without its REST token (`flinkx token`): asked for once,
  // kept for this tab in sessionStorage, and asked again only if the JobManager refuses it.
  var TOKEN_KEY = 'flinkx.restToken';
  var tokenDeclined = false;
  async function api(path, opts) {
    var sent = sessionStorage.getItem(TOKEN_KEY);
    var r = await request(path, opts);
    if (r.status !== 401 || tokenDeclined) return r;
    // Concurrent requests refused with the same token ask once; the others retry with the new one.
    if (sessionStorage.getItem(TOKEN_KEY) === sent) {
      var token = window.prompt('This cluster has a secret. REST token (printed by `flinkx token`):');
      if (!token) {
        tokenDeclined = true;
        return r;
      }
      sessionStorage.setItem(TOKEN_KEY, token.trim());
    }
    return request(path, opts);
  }
  async function request(path, opts) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () {
      ctrl.abort();
    }, 8000);
    var headers = { accept: 'application/json' };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = 'Bearer ' + token;
    try {
      var res = await fetch(
        path,
        Object.assign({ cache: 'no-store', signal: ctrl.signal, headers: headers }, opts || {}),
      );
      var text = await res.text();
      var body = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      return { status: res.status, ok: res.ok, body: body };
    } finally {
      clearTimeout(timer);
    }
  }
  function errorOf(r) {
    var msg = r.body && r.body.error && r.body.error.message ? r.body.error.message : 'HTTP ' + r.status;
    return new ApiError(r.status, String(msg));
  }
  function setConn(ok, err) {
    connDot.className = 'dot ' + (ok ? 'ok' : 'bad');
    connText.textContent = ok
      ? 'updated ' + new Date().toLocaleTimeString()
      : 'JobManager unreachable: ' + (err && err.message ? err.message : String(err));
  }

  // ---- back-pressure / busy ratios from cumulative counters, over a few recent heartbeats ----
  var samples = new Map();
  function ratios(key, m) {
    if (!m || typeof m.at !== 'number') return null;
    var list = samples.get(key) || [];
    var last = list[list.length - 1];
    if (last && (m.backPressuredMs < last.bp || m.busyMs < last.busy)) list = []; // counters restarted
    if (!last || m.at !== last.at) list.push({ at: m.at, bp: m.backPressuredMs || 0, busy: m.busyMs || 0 });
    while (list.length > 6 || (list.length > 2 && list[list.length - 1].at - list[0].at > 10000)) list.shift();
    samples.set(key, list);
    if (list.length < 2) return null;
    var a = list[0],
      b = list[list.length - 1],
      dt = b.at - a.at;
    if (dt <= 0) return null;
    function clamp(x) {
      return Math.max(0, Math.min(1, x));
    }
    return { bp: clamp((b.bp - a.bp) / dt), busy: clamp((b.busy - a.busy) / dt) };
  }

  // ---- overview ----
  function overviewView() {
    var cards = h('div', { class: 'cards' });
    var tmBox = h('div');
    var jobBox = h('div');
    var root = h('div', null, [
      cards,
      h('section', { class: 'panel', id: 'taskmanagers' }, [h('h2', null, 'TaskManagers'), tmBox]),
      h('section', { class: 'panel', id: 'jobs' }, [h('h2', null, 'Jobs'), jobBox]),
    ]);
    function card(k, v) {
      return h('div', { class: 'card' }, [h('div', { class: 'v' }, v), h('div', { class: 'k' }, k)]);
    }
    async function refresh() {
      var rs = await Promise.all([api('jobs'), api('taskmanagers')]);
      if (!rs[0].ok) throw errorOf(rs[0]);
      if (!rs[1].ok) throw errorOf(rs[1]);
      var jobs = Array.isArray(rs[0].body) ? rs[0].body : [];
      var tms = Array.isArray(rs[1].body) ? rs[1].body : [];
      var total = 0,
        free = 0,
        byState = {};
      tms.forEach(function (t) {
        total += t.slots || 0;
        free += t.freeSlots || 0;
      });
      jobs.forEach(function (j) {
        byState[j.state] = (byState[j.state] || 0) + 1;
      });
      fill(cards, [
        card('TaskManagers', tms.length),
        card('Slots used / total', total - free + ' / ' + total),
        card('Running jobs', (byState.RUNNING || 0) + (byState.RESTARTING || 0) + (byState.CREATED || 0)),
        card('Finished', byState.FINISHED || 0),
        card('Canceled / failed', (byState.CANCELED || 0) + ' / ' + (byState.FAILED || 0)),
      ]);
      tmBox.replaceChildren(
        table(
          ['TaskManager', 'Data address', 'Slots used / total', 'Last heartbeat', 'Registered', '#Queued'],
          tms.map(function (t) {
            var used = (t.slots || 0) - (t.freeSlots || 0);
            var w = t.slots ? Math.round((used / t.slots) * 100) : 0;
            return h('tr', { 'data-tm': t.id }, [
              td(t.id, 'mono'),
              td(t.dataAddress, 'mono muted'),
              td([h('span', { class: 'bar' }, h('i', { style: 'width:' + w + '%' })), used + ' / ' + t.slots]),
              td(ago(t.lastHeartbeat)),
              td(time(t.registeredAt)),
              td(bytes(t.queuedBytes), 'num'),
            ]);
          }),
          'No TaskManagers registered. Start one with: flinkx-tm start --slots 4 --jobmanager ws://<host>:<port>',
        ),
      );
      jobs.sort(function (a, b) {
        var ta = TERMINAL[a.state] ? 1 : 0,
          tb = TERMINAL[b.state] ? 1 : 0;
        return ta - tb || (b.createdAt || 0) - (a.createdAt || 0);
      });
      jobBox.replaceChildren(
        table(
          ['Name', 'State', '#Parallelism', '#Restarts', 'Started', '#Uptime / duration', 'Job id'],
          jobs.map(function (j) {
            return h(
              'tr',
              {
                class: 'link',
                'data-job-id': j.id,
                onclick: function (ev) {
                  if (ev.target && ev.target.closest && ev.target.closest('a')) return;
                  location.hash = jobHref(j.id);
                },
              },
              [
                td(h('a', { href: jobHref(j.id), class: 'job-link' }, j.name)),
                td([
                  badge(j.state),
                  j.reason && !TERMINAL[j.state]
                    ? h('div', { class: 'muted', style: 'font-size:12px' }, j.reason)
                    : null,
                ]),
                td(j.parallelism, 'num'),
                td(j.restarts, 'num'),
                td(time(j.startTime != null ? j.startTime : j.createdAt)),
                td(dur(j.duration), 'num'),
                td(j.id, 'mono muted'),
              ],
            );
          }),
          'No jobs yet. Submit one with: flinkx submit job.json',
        ),
      );
      document.title = 'flinkx · ' + (byState.RUNNING || 0) + ' running';
    }
    return { root: root, refresh: refresh };
  }

  // ---- job graph (SVG) ----
  var BOX_W = 220,
    BOX_H = 92,
    GAP_X = 130,
    GAP_Y = 34,
    PAD = 20,
    LANE = 26;

  /** Columns by longest path from a source; rows ordered by the mean row of their inputs; edges that
   *  skip columns get a lane above the boxes so they never cross one. */
  function layout(vertices, edges) {
    var ids = vertices.map(function (v) {
      return v.id;
    });
    var order = new Map(
      ids.map(function (id, i) {
        return [id, i];
      }),
    );
    var preds = new Map(
      ids.map(function (id) {
        return [id, []];
      }),
    );
    edges.forEach(function (e) {
      if (preds.has(e.target) && order.has(e.source)) preds.get(e.target).push(e.source);
    });
    var depth = new Map(),
      visiting = new Set();
    function depthOf(id) {
      if (depth.has(id)) return depth.get(id);
      if (visiting.has(id)) return 0; // a cycle: should not happen in a DAG
      visiting.add(id);
      var d = 0;
      preds.get(id).forEach(function (p) {
        d = Math.max(d, depthOf(p) + 1);
      });
      visiting.delete(id);
      depth.set(id, d);
      return d;
    }
    var cols = [];
    ids.forEach(function (id) {
      var d = depthOf(id);
      (cols[d] = cols[d] || []).push(id);
    });
    var row = new Map();
    cols.forEach(function (col, d) {
      if (!col) {
        cols[d] = [];
        return;
      }
      if (d > 0) {
        var bary = new Map(
          col.map(function (id) {
            var ps = preds.get(id).filter(function (p) {
              return row.has(p);
            });
            var b = ps.length
              ? ps.reduce(function (acc, p) {
                  return acc + row.get(p);
                }, 0) / ps.length
              : Infinity;
            return [id, b];
          }),
        );
        col.sort(function (a, b) {
          return bary.get(a) - bary.get(b) || order.get(a) - order.get(b);
        });
      }
      col.forEach(function (id, i) {
        row.set(id, i);
      });
    });
    var long = edges.filter(function (e) {
      return depth.has(e.source) && depth.has(e.target) && depth.get(e.target) - depth.get(e.source) > 1;
    });
    var top = long.length * LANE;
    var tallest = Math.max.apply(
      null,
      cols
        .map(function (c) {
          return c.length;
        })
        .concat([1]),
    );
    var boxesH = tallest * BOX_H + (tallest - 1) * GAP_Y;
    var pos = new Map();
    var colTop = cols.map(function (col) {
      var y0 = PAD + top + (boxesH - (col.length * BOX_H + (col.length - 1) * GAP_Y)) / 2;
      return y0;
    });
    cols.forEach(function (col, d) {
      col.forEach(function (id, i) {
        pos.set(id, { x: PAD + d * (BOX_W + GAP_X), y: colTop[d] + i * (BOX_H + GAP_Y) });
      });
    });
    var lanes = new Map();
    long.forEach(function (e, k) {
      var minTop = Infinity;
      for (var d = depth.get(e.source) + 1; d < depth.get(e.target); d++) minTop = Math.min(minTop, colTop[d]);
      lanes.set(e, minTop - 16 - k * LANE);
    });
    var width = PAD * 2 + cols.length * BOX_W + Math.max(0, cols.length - 1) * GAP_X;
    return { pos: pos, lanes: lanes, width: width, height: PAD * 2 + top + boxesH };
  }

  function edgeLabel(e) {
    var p = String(e.partitioner || '');
    return e.keyBy != null && e.keyBy !== '' ? p + '(' + e.keyBy + ')' : p;
  }

  function buildGraph(job) {
    var vertices = job.vertices || [],
      edges = job.edges || [];
    var L = layout(vertices, edges);
    var svg = s('svg', {
      width: L.width,
      height: L.height,
      viewBox: '0 0 ' + L.width + ' ' + L.height,
      role: 'img',
      'aria-label': 'job graph',
      id: 'job-graph',
    });
    svg.appendChild(
      s(
        'defs',
        null,
        s(
          'marker',
          {
            id: 'arrow',
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse',
          },
          s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#64748b' }),
        ),
      ),
    );
    var edgeLayer = s('g'),
      labelLayer = s('g'),
      vertexLayer = s('g');
    svg.appendChild(edgeLayer);
    svg.appendChild(vertexLayer);
    svg.appendChild(labelLayer);
    edges.forEach(function (e) {
      var a = L.pos.get(e.source),
        b = L.pos.get(e.target);
      if (!a || !b) return;
      var x1 = a.x + BOX_W,
        y1 = a.y + BOX_H / 2,
        x2 = b.x - 2,
        y2 = b.y + BOX_H / 2;
      var d,
        mx,
        my,
        lane = L.lanes.get(e);
      if (lane != null) {
        // over the columns in between: up in the first gap, across, down in the last gap
        var xa = x1 + GAP_X,
          xb = b.x - GAP_X,
          half = GAP_X / 2;
        d =
          'M' +
          x1 +
          ',' +
          y1 +
          ' C' +
          (x1 + half) +
          ',' +
          y1 +
          ' ' +
          (x1 + half) +
          ',' +
          lane +
          ' ' +
          xa +
          ',' +
          lane +
          ' L' +
          xb +
          ',' +
          lane +
          ' C' +
          (xb + half) +
          ',' +
          lane +
          ' ' +
          (xb + half) +
          ',' +
          y2 +
          ' ' +
          x2 +
          ',' +
          y2;
        mx = (xa + xb) / 2;
        my = lane;
      } else {
        var dx = Math.max(40, (x2 - x1) / 2);
        d = 'M' + x1 + ',' + y1 + ' C' + (x1 + dx) + ',' + y1 + ' ' + (x2 - dx) + ',' + y2 + ' ' + x2 + ',' + y2;
        mx = (x1 + x2) / 2;
        my = (y1 + y2) / 2;
      }
      edgeLayer.appendChild(s('path', { d: d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-edge-id': e.id }));
      var label = edgeLabel(e);
      var shown = clip(label, 16);
      var w = shown.length * 6.8 + 12;
      labelLayer.appendChild(
        s('g', { class: 'edge-label-group' }, [
          s('title', null, label + ' · ' + e.source + ' → ' + e.target),
          s('rect', { class: 'elabel-bg', x: mx - w / 2, y: my - 10, width: w, height: 20, rx: 10 }),
          s('text', { class: 'elabel', x: mx, y: my + 4, 'text-anchor': 'middle' }, shown),
        ]),
      );
    });
    var refs = new Map();
    vertices.forEach(function (v) {
      var p = L.pos.get(v.id);
      var box = s('rect', { class: 'vbox', x: p.x, y: p.y, width: BOX_W, height: BOX_H, rx: 8 });
      var rates = s('text', { class: 'vrate', x: p.x + 12, y: p.y + 58 }, '');
      var bpText = s('text', { class: 'vsub vbp', x: p.x + 12, y: p.y + 79 }, '');
      var bpFill = s('rect', { class: 'bp-fill', x: p.x + BOX_W - 72, y: p.y + 72, width: 0, height: 7, rx: 3.5 });
      var types = (v.nodes || [])
        .map(function (n) {
          return n.type;
        })
        .join(' → ');
      vertexLayer.appendChild(
        s('g', { class: 'vertex', 'data-vertex-id': v.id }, [
          s('title', null, v.name + (types ? '\n' + types : '')),
          box,
          s('text', { class: 'vname', x: p.x + 12, y: p.y + 20 }, clip(v.name, 28)),
          s(
            'text',
            { class: 'vsub', x: p.x + 12, y: p.y + 38 },
            'parallelism ' + v.parallelism + (types ? ' · ' + clip(types, 22) : ''),
          ),
          rates,
          bpText,
          s('rect', { class: 'bp-track', x: p.x + BOX_W - 72, y: p.y + 72, width: 60, height: 7, rx: 3.5 }),
          bpFill,
        ]),
      );
      refs.set(v.id, { box: box, rates: rates, bpText: bpText, bpFill: bpFill });
    });
    return { svg: svg, refs: refs };
  }

  function graphSignature(job) {
    return JSON.stringify([
      (job.vertices || []).map(function (v) {
        return [v.id, v.name, v.parallelism];
      }),
      (job.edges || []).map(function (e) {
        return [e.id, e.source, e.target, e.partitioner, e.keyBy];
      }),
    ]);
  }

  // ---- event time: watermarks and their lag behind the JobManager's clock (GET /jobs/:id) ----
  function watermarkText(w) {
    return typeof w === 'number' && isFinite(w) ? time(w) : '–';
  }
  function lagText(lag) {
    if (typeof lag !== 'number' || !isFinite(lag)) return '–';
    return lag >= 0 ? dur(lag) : 'ahead ' + dur(-lag); // event time ahead of the clock: skew or future timestamps
  }

  // ---- metric history: the last minutes of poll results per vertex, drawn as SVG sparklines ----
  var HISTORY_MS = 5 * 60 * 1000,
    SPARK_W = 260,
    SPARK_H = 44;
  /** One chart: a polyline over the samples that have a value, scaled to [0, max] and the samples' time span. */
  function sparkline(metric, samples, pick, fmt) {
    var pts = samples.filter(function (p) {
      return typeof pick(p) === 'number' && isFinite(pick(p));
    });
    var max = pts.reduce(function (m, p) {
      return Math.max(m, pick(p));
    }, 0);
    var t0 = samples.length ? samples[0].t : 0,
      span = samples.length ? Math.max(1, samples[samples.length - 1].t - t0) : 1;
    var coords = pts.map(function (p) {
      var x = ((p.t - t0) / span) * (SPARK_W - 2) + 1;
      // negative values (a watermark ahead of the clock) sit on the axis rather than below the chart
      var y = SPARK_H - 2 - (max > 0 ? (Math.max(0, pick(p)) / max) * (SPARK_H - 14) : 0);
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    var last = pts.length ? pick(pts[pts.length - 1]) : null;
    return s(
      'svg',
      {
        class: 'spark',
        'data-metric': metric,
        width: SPARK_W,
        height: SPARK_H,
        viewBox: '0 0 ' + SPARK_W + ' ' + SPARK_H,
      },
      [
        s('title', null, metric + ' over the last ' + dur(span)),
        s('line', { class: 'spark-axis', x1: 0, y1: SPARK_H - 1, x2: SPARK_W, y2: SPARK_H - 1 }),
        s('polyline', { class: 'spark-line', points: coords.join(' ') }),
        s(
          'text',
          { class: 'spark-label', x: 2, y: 10 },
          last == null ? 'no data yet' : 'now ' + fmt(last) + ' · max ' + fmt(max),
        ),
      ],
    );
  }
  /** Keeps samples per vertex across polls of one job page and redraws its chart table. */
  function metricCharts(box) {
    var history = new Map();
    function update(job, ratiosByVertex) {
      var now = Date.now(),
        vertices = job.vertices || [];
      var fed = new Set(
        (job.edges || []).map(function (e) {
          return e.target;
        }),
      );
      vertices.forEach(function (v) {
        var list = history.get(v.id) || [];
        list.push({
          t: now,
          // a source has no input: its rate is what it emits
          rate: fed.has(v.id) ? v.recordsInPerSecond : v.recordsOutPerSecond,
          bp: (ratiosByVertex.get(v.id) || {}).bp,
          lag: v.watermarkLag,
        });
        while (list.length && now - list[0].t > HISTORY_MS) list.shift();
        history.set(v.id, list);
      });
      box.replaceChildren(
        table(
          ['Vertex', 'Records / s', 'Back-pressure', 'Watermark lag'],
          vertices.map(function (v) {
            var list = history.get(v.id);
            return h('tr', { 'data-vertex-id': v.id }, [
              td([
                v.name,
                h('div', { class: 'muted', style: 'font-size:12px' }, fed.has(v.id) ? 'records in' : 'records out'),
              ]),
              td(
                sparkline(
                  'records-per-second',
                  list,
                  function (p) {
                    return p.rate;
                  },
                  rate,
                ),
              ),
              td(
                sparkline(
                  'back-pressure',
                  list,
                  function (p) {
                    return p.bp;
                  },
                  pct,
                ),
              ),
              td(
                sparkline(
                  'watermark-lag',
                  list,
                  function (p) {
                    return p.lag;
                  },
                  lagText,
                ),
              ),
            ]);
          }),
          'No vertices.',
        ),
      );
    }
    return { update: update };
  }

  // ---- checkpoints: GET /jobs/:id/checkpoints (CheckpointsSchema in common/protocol/rest.ts) ----
  /** `7 completed, 0 failed · latest #7 1.2 KiB in 45ms, 3.0s ago` */
  function checkpointLine(body) {
    var c = body.counts,
      l = body.latest;
    var line =
      num(c.completed) +
      ' completed, ' +
      num(c.failed) +
      ' failed' +
      (c.inProgress ? ', ' + num(c.inProgress) + ' in progress' : '');
    if (!l) return line + ' · none completed yet';
    return (
      line +
      ' · latest #' +
      l.id +
      ' ' +
      bytes(l.size) +
      ' in ' +
      dur(l.duration) +
      ', ' +
      ago(l.triggerTime + l.duration)
    );
  }
  function renderCheckpoints(box, body) {
    var facts = h('div', { class: 'meta', id: 'checkpoint-summary' }, checkpointLine(body));
    var rows = body.history.slice(0, 50).map(function (e) {
      return h('tr', null, [
        td(e.id, 'num'),
        td(badge(e.status)),
        td(time(e.triggerTime)),
        td(dur(e.duration), 'num'),
        td(bytes(e.size), 'num'),
        td(e.acknowledged + ' / ' + e.total, 'num'),
        td(e.failureReason ? clip(e.failureReason, 120) : '–', e.failureReason ? '' : 'muted'),
      ]);
    });
    fill(box, [
      facts,
      table(
        ['#Id', 'Status', 'Triggered', '#Duration', '#Size', '#Acknowledged', 'Failure'],
        rows,
        'No checkpoints yet.',
      ),
    ]);
  }

  // ---- job page ----
  function jobView(id) {
    var title = h('h1', { id: 'job-name' }, '…');
    var stateBox = h('span', { id: 'job-state' });
    var cancelBtn = h('button', { class: 'danger', id: 'cancel-job', type: 'button' }, 'Cancel job');
    var confirmBox = h('span', { style: 'display:none', class: 'actions' }, [
      h('span', { class: 'muted' }, 'Cancel this job?'),
      h('button', { class: 'danger solid', id: 'confirm-cancel', type: 'button' }, 'Yes, cancel'),
      h('button', { id: 'keep-running', type: 'button' }, 'No'),
    ]);
    var actionMsg = h('span', { class: 'err', id: 'action-msg' });
    var meta = h('div', { class: 'meta' });
    var alertBox = h('div');
    var graphBox = h('div', { class: 'graph' });
    var vertexBox = h('div');
    var subtaskBox = h('div');
    var chartBox = h('div');
    var charts = metricCharts(chartBox);
    var cpSection = h('section', { class: 'panel', id: 'checkpoints', style: 'display:none' });
    var cpBox = h('div');
    var excBox = h('div');
    var body = h('div', null, [
      h('div', { class: 'title' }, [
        title,
        stateBox,
        h('span', { class: 'actions' }, [actionMsg, cancelBtn, confirmBox]),
      ]),
      meta,
      alertBox,
      h('section', { class: 'panel' }, [h('h2', null, 'Job graph'), graphBox]),
      h('section', { class: 'panel', id: 'vertices' }, [h('h2', null, 'Vertices'), vertexBox]),
      h('section', { class: 'panel', id: 'charts' }, [h('h2', null, 'Metrics over the last minutes'), chartBox]),
      h('section', { class: 'panel', id: 'subtasks' }, [h('h2', null, 'Subtasks'), subtaskBox]),
      add(cpSection, [h('h2', null, 'Checkpoints'), cpBox]),
      h('section', { class: 'panel', id: 'exceptions' }, [h('h2', null, 'Exceptions'), excBox]),
    ]);
    var root = h('div', null, [h('a', { href: '#/', class: 'back' }, '← Overview'), body]);
    var graph = null,
      graphSig = null,
      excSig = null,
      lastState = null;
    var cpPolls = 0,
      cpMissing = false; // while the endpoint answers 404, ask again only every 10th poll

    function showConfirm(on) {
      cancelBtn.style.display = on ? 'none' : '';
      confirmBox.style.display = on ? '' : 'none';
    }
    cancelBtn.addEventListener('click', function () {
      actionMsg.textContent = '';
      showConfirm(true);
    });
    confirmBox.querySelector('#keep-running').addEventListener('click', function () {
      showConfirm(false);
    });
    confirmBox.querySelector('#confirm-cancel').addEventListener('click', async function () {
      showConfirm(false);
      cancelBtn.disabled = true;
      try {
        var r = await api('jobs/' + encodeURIComponent(id) + '/cancel', { method: 'POST' });
        if (!r.ok) throw errorOf(r);
        if (r.body && r.body.state) stateBox.replaceChildren(badge(r.body.state));
      } catch (e) {
        actionMsg.textContent = 'Cancel failed: ' + (e && e.message ? e.message : String(e));
        cancelBtn.disabled = lastState != null && !!TERMINAL[lastState];
      }
      tick();
    });

    function updateGraph(job) {
      var sig = graphSignature(job);
      if (sig !== graphSig) {
        graph = buildGraph(job);
        graphSig = sig;
        graphBox.replaceChildren(graph.svg);
      }
    }

    async function refresh() {
      var enc = encodeURIComponent(id);
      var askCp = !cpMissing || cpPolls++ % 10 === 0;
      var rs = await Promise.all([
        api('jobs/' + enc),
        askCp
          ? api('jobs/' + enc + '/checkpoints').catch(function () {
              return { status: 0, ok: false, body: null };
            })
          : null,
      ]);
      var r = rs[0];
      if (r.status === 404) {
        root.replaceChildren(
          h('a', { href: '#/', class: 'back' }, '← Overview'),
          h('div', { class: 'panel' }, ['No job with id ', h('span', { class: 'mono' }, id), ' on this JobManager.']),
        );
        document.title = 'flinkx · job not found';
        return;
      }
      if (!r.ok) throw errorOf(r);
      var job = r.body || {};
      if (!body.isConnected) root.replaceChildren(h('a', { href: '#/', class: 'back' }, '← Overview'), body);
      document.title = 'flinkx · ' + job.name;
      lastState = job.state;
      setText(title, job.name);
      stateBox.replaceChildren(badge(job.state));
      if (TERMINAL[job.state] || job.state === 'CANCELLING') {
        cancelBtn.disabled = true;
        showConfirm(false);
      } else if (!confirmBox.contains(document.activeElement)) cancelBtn.disabled = false;

      var cp = job.checkpointing;
      fill(meta, [
        h('span', null, ['id ', h('b', { class: 'mono' }, job.id)]),
        h('span', null, ['parallelism ', h('b', null, job.parallelism)]),
        h('span', null, ['max parallelism ', h('b', null, job.maxParallelism)]),
        h('span', null, ['attempt ', h('b', null, job.attempt)]),
        h('span', null, ['restarts ', h('b', null, job.restarts)]),
        h('span', null, ['started ', h('b', null, time(job.startTime != null ? job.startTime : job.createdAt))]),
        h('span', null, [
          TERMINAL[job.state] ? 'duration ' : 'uptime ',
          h('b', { id: 'job-uptime' }, dur(job.duration)),
        ]),
        job.endTime != null ? h('span', null, ['ended ', h('b', null, time(job.endTime))]) : null,
        h('span', null, ['checkpointing ', h('b', null, cp ? (cp.mode || '') + ' every ' + dur(cp.interval) : 'off')]),
      ]);
      var alerts = [];
      if (job.failure && job.failure.message)
        alerts.push(h('div', { class: 'alert' }, ['Failure: ', job.failure.message]));
      if (job.reason && job.state !== 'RUNNING') alerts.push(h('div', { class: 'alert warn' }, job.reason));
      fill(alertBox, alerts);

      updateGraph(job);
      var vertices = job.vertices || [];
      var vr = new Map();
      vertices.forEach(function (v) {
        var worst = null,
          busiest = null;
        (v.subtasks || []).forEach(function (st) {
          var rr = ratios(job.id + '/' + job.attempt + '/' + v.id + '/' + st.index, st.metrics);
          st._r = rr;
          if (rr) {
            worst = Math.max(worst || 0, rr.bp);
            busiest = Math.max(busiest || 0, rr.busy);
          }
        });
        vr.set(v.id, { bp: worst, busy: busiest });
        var ref = graph && graph.refs.get(v.id);
        if (ref) {
          setText(ref.rates, 'in ' + rate(v.recordsInPerSecond) + '  ·  out ' + rate(v.recordsOutPerSecond));
          setText(ref.bpText, 'back-pressure ' + pct(worst));
          var lvl = bpLevel(worst);
          ref.box.setAttribute('class', 'vbox' + (lvl ? ' ' + lvl : ''));
          ref.bpFill.setAttribute('class', 'bp-fill' + (lvl ? ' ' + lvl : ''));
          ref.bpFill.setAttribute('width', String(Math.round(60 * (worst || 0))));
        }
      });

      vertexBox.replaceChildren(
        table(
          [
            'Vertex',
            '#Parallelism',
            '#Records in',
            '#Records out',
            '#In / s',
            '#Out / s',
            '#Back-pressure',
            '#Busy',
            '#Back-pressured total',
            'Watermark',
            '#Watermark lag',
          ],
          vertices.map(function (v) {
            var x = vr.get(v.id) || {};
            return h('tr', { 'data-vertex-id': v.id }, [
              td(v.name),
              td(v.parallelism, 'num'),
              td(num(v.recordsIn), 'num'),
              td(num(v.recordsOut), 'num'),
              td(rate(v.recordsInPerSecond), 'num'),
              td(rate(v.recordsOutPerSecond), 'num'),
              td(pct(x.bp), 'num'),
              td(pct(x.busy), 'num'),
              td(dur(v.backPressuredMs), 'num'),
              td(watermarkText(v.watermark), 'vwm'),
              td(lagText(v.watermarkLag), 'num vlag'),
            ]);
          }),
          'No vertices.',
        ),
      );
      charts.update(job, vr);

      var rows = [];
      vertices.forEach(function (v) {
        (v.subtasks || [])
          .slice()
          .sort(function (a, b) {
            return a.index - b.index;
          })
          .forEach(function (st) {
            var m = st.metrics || {};
            rows.push(
              h('tr', { 'data-subtask': v.id + '/' + st.index }, [
                td(v.name),
                td(st.index, 'num'),
                td(badge(st.state)),
                td(st.tm != null ? st.tm : '–', 'mono'),
                td(st.slot != null ? st.slot : '–', 'num'),
                td(num(m.recordsIn), 'num'),
                td(num(m.recordsOut), 'num'),
                td(rate(m.recordsInPerSecond), 'num'),
                td(rate(m.recordsOutPerSecond), 'num'),
                td(pct(st._r ? st._r.bp : null), 'num'),
                td(watermarkText(m.watermark)),
                td(m.lateRecords != null ? num(m.lateRecords) : '–', 'num'),
                td(m.openWindows != null ? num(m.openWindows) : '–', 'num'),
                td(st.error && st.error.message ? h('span', { class: 'err' }, clip(st.error.message, 200)) : ''),
              ]),
            );
          });
      });
      subtaskBox.replaceChildren(
        table(
          [
            'Vertex',
            '#Subtask',
            'State',
            'TaskManager',
            '#Slot',
            '#Records in',
            '#Records out',
            '#In / s',
            '#Out / s',
            '#Back-pressure',
            'Watermark',
            '#Late',
            '#Open windows',
            'Error',
          ],
          rows,
          'No subtasks deployed yet.',
        ),
      );

      var cpr = rs[1];
      if (cpr) {
        cpMissing = cpr.status === 404 || cpr.status === 405;
        if (cpr.status === 200) {
          cpSection.style.display = '';
          renderCheckpoints(cpBox, cpr.body);
        } else cpSection.style.display = 'none';
      }

      var exceptions = job.exceptions;
      if (!Array.isArray(exceptions)) {
        var er = await api('jobs/' + enc + '/exceptions');
        exceptions = er.ok && Array.isArray(er.body) ? er.body : [];
      }
      var sig = exceptions.length + ':' + (exceptions.length ? exceptions[exceptions.length - 1].time : '');
      if (sig !== excSig) {
        excSig = sig;
        fill(
          excBox,
          exceptions.length
            ? exceptions
                .slice()
                .reverse()
                .map(function (x) {
                  return h('div', { class: 'exc' }, [
                    h('div', { class: 'head' }, [
                      h('span', null, time(x.time)),
                      h('span', null, 'attempt ' + x.attempt),
                      x.task ? h('span', { class: 'mono' }, x.task) : null,
                    ]),
                    h('div', { class: 'msg' }, x.message),
                    x.stack ? h('details', null, [h('summary', null, 'stack trace'), h('pre', null, x.stack)]) : null,
                  ]);
                })
            : [h('div', { class: 'empty' }, 'No exceptions.')],
        );
      }
    }
    return { root: root, refresh: refresh };
  }

  // ---- routing and polling ----
  function route() {
    var m = /^#\/jobs\/([^/?]+)\/?$/.exec(location.hash);
    if (m) {
      try {
        return { page: 'job', id: decodeURIComponent(m[1]) };
      } catch {
        /* fall through */
      }
    }
    return { page: 'overview' };
  }
  var current = null,
    timer = null,
    seq = 0;
  async function tick() {
    clearTimeout(timer);
    var mine = ++seq;
    var r = route();
    var key = r.page + ':' + (r.id || '');
    if (!current || current.key !== key) {
      current = r.page === 'job' ? jobView(r.id) : overviewView();
      current.key = key;
      app.replaceChildren(current.root);
      window.scrollTo(0, 0);
    }
    var view = current;
    try {
      await view.refresh();
      if (view === current) setConn(true);
    } catch (e) {
      if (view === current) setConn(false, e);
    }
    if (mine === seq) timer = setTimeout(tick, POLL_MS);
  }
  window.addEventListener('hashchange', tick);
  tick();
})();
