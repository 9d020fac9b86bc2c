// The live dashboard (web/dashboard.html). Hand-written, no build step; update-assets.sh
// leaves it alone. It uses the vendored graphql-ws client (global `graphqlWs`) for the
// orderStatusChanged subscription and fetch for the dashboardSummary figures.
//
// Token: a link like /dashboard#token=T carries it in the fragment, which the browser never
// sends to the server. It is moved into this tab's sessionStorage and out of the address bar
// at once (history.replaceState: no history entry). It travels only in the Authorization
// header of the figures' POST and in the websocket's connection_init payload; never in a URL.
//
// Resume: the cursor of the last event shown is kept (in memory and in sessionStorage), and
// every new subscription, after a network drop, a server restart or a reload of the tab,
// passes it as `after`, so the server replays what was missed, with no gap and no repeat.
// Reconnecting is ours, not graphql-ws's (retryAttempts: 0): graphql-ws would resend the
// first subscription's variables, with the cursor the page started with.
(function () {
  'use strict';

  var TOKEN_KEY = 'salesgraph.dashboard.token';
  var CURSOR_KEY = 'salesgraph.dashboard.cursor';
  var MAX_ROWS = 200; // rows kept in the feed list
  var FIGURES_DELAY = 400; // ms: events within this window share one refresh of the figures
  var FIGURES_EVERY = 60000; // ms: and once a minute anyway (a new day, changes without events)
  var RETRY_MIN = 500;
  var RETRY_MAX = 10000;

  var SUBSCRIPTION = 'subscription DashboardFeed($after: String) {\n' +
    '  orderStatusChanged(after: $after) {\n' +
    '    cursor previousStatus status occurredAt\n' +
    '    order { id number total currency customer { code name } }\n' +
    '  }\n' +
    '}';
  var FIGURES = 'query DashboardFigures($day: Date) {\n' +
    '  dashboardSummary(day: $day) {\n' +
    '    day ordersToday onHold\n' +
    '    currencies { currency ordersToday ordersTodayValue onHold onHoldValue backlogOrders backlogValue }\n' +
    '  }\n' +
    '}';
  var STATE_LABELS = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    error: 'Error',
  };

  var cfg = JSON.parse(document.getElementById('dashboard-config').textContent);
  var httpURL = new URL(cfg.endpoint, window.location.href);
  var wsURL = new URL(cfg.subscriptionEndpoint || httpURL.href, window.location.href);
  if (wsURL.protocol === 'http:') {
    wsURL.protocol = 'ws:';
  } else if (wsURL.protocol === 'https:') {
    wsURL.protocol = 'wss:';
  }

  var $ = function (id) { return document.getElementById(id); };
  var stateEl = $('state');

  var token = '';
  var cursor = null;
  var seen = new Set(); // cursors shown, so that no event is shown twice
  var generation = 0; // bumped by every (re)connection; callbacks of older ones are ignored
  var client = null;
  var retryTimer = null;
  var attempt = 0;
  var everLive = false;
  var figures = { timer: null, inFlight: false, again: false, every: null };

  var fromLink = takeFragmentToken();
  if (fromLink) {
    store(TOKEN_KEY, fromLink);
    store(CURSOR_KEY, null); // a new token may be another user: start the feed afresh
  }
  token = load(TOKEN_KEY) || '';
  cursor = load(CURSOR_KEY);

  $('token-use').addEventListener('click', function () {
    var t = $('token-input').value.trim().replace(/^Bearer\s+/i, '');
    $('token-input').value = '';
    if (t) {
      store(TOKEN_KEY, t);
      store(CURSOR_KEY, null);
      token = t;
      cursor = null;
      start();
    }
  });
  $('token-input').addEventListener('keydown', function (e) {
    if (e.key === 'Enter') {
      $('token-use').click();
    }
  });
  $('signout').addEventListener('click', function () {
    signOut('The token was forgotten. Paste one, or open a link that carries one.');
  });
  window.addEventListener('online', function () {
    if (retryTimer !== null) { // back online: do not wait for the backoff
      clearTimeout(retryTimer);
      retryTimer = null;
      connect();
    }
  });

  start();

  function start() {
    if (!token) {
      signOut('This page needs a token.');
      return;
    }
    $('signin').hidden = true;
    $('main').hidden = false;
    $('signout').hidden = false;
    refreshFigures();
    if (figures.every === null) {
      figures.every = setInterval(refreshFigures, FIGURES_EVERY);
    }
    attempt = 0;
    connect();
  }

  function signOut(why) {
    stop();
    token = '';
    cursor = null;
    store(TOKEN_KEY, null);
    store(CURSOR_KEY, null);
    if (figures.every !== null) {
      clearInterval(figures.every);
      figures.every = null;
    }
    $('signin-why').textContent = why;
    $('signin').hidden = false;
    $('main').hidden = true;
    $('signout').hidden = true;
    setState('error', 'no token');
  }

  // stop ends the current connection, if any, and any pending retry.
  function stop() {
    generation++;
    if (retryTimer !== null) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    if (client) {
      var c = client;
      client = null;
      c.dispose();
    }
  }

  function connect() {
    stop();
    var gen = generation;
    setState(everLive ? 'reconnecting' : 'connecting');
    var c = graphqlWs.createClient({
      url: wsURL.href,
      connectionParams: { Authorization: 'Bearer ' + token },
      lazy: true,
      retryAttempts: 0,
      keepAlive: 15000,
      on: {
        connected: function () {
          if (gen !== generation) {
            return;
          }
          attempt = 0;
          setState('live');
          if (everLive) {
            refreshFigures(); // whatever changed while the connection was down
          }
          everLive = true;
        },
      },
    });
    client = c;
    var errors = [];
    c.subscribe({ query: SUBSCRIPTION, variables: cursor ? { after: cursor } : {} }, {
      next: function (result) {
        if (gen !== generation) {
          return;
        }
        if (result.errors && result.errors.length) {
          errors = errors.concat(result.errors);
        }
        if (result.data && result.data.orderStatusChanged) {
          show(result.data.orderStatusChanged);
        }
      },
      error: function (err) {
        if (gen === generation) {
          ended(Array.isArray(err) ? errors.concat(err) : err);
        }
      },
      complete: function () {
        // The feed never ends by itself: a completion carries the errors that ended it.
        if (gen === generation) {
          ended(errors);
        }
      },
    });
  }

  // ended decides what to do when the subscription stops: err is a CloseEvent, an Error,
  // or a list of GraphQL errors.
  function ended(err) {
    var code = err && typeof err.code === 'number' ? err.code : 0;
    if (code === 4401 || code === 4403 || hasCode(err, 'UNAUTHENTICATED') || hasCode(err, 'FORBIDDEN')) {
      signOut('The server refused the token (expired, or its user is no longer active). Paste a new one.');
      return;
    }
    if (cursor && (hasCode(err, 'CURSOR_EXPIRED') || hasCode(err, 'VALIDATION'))) {
      // The last cursor is older than the feed keeps (or unknown to this server): go on
      // from now, and say so. Without a cursor an error is retried with backoff below, so
      // that a refusal that persists never becomes a tight loop.
      cursor = null;
      store(CURSOR_KEY, null);
      notice('feed-notice', 'Some changes are no longer kept and could not be replayed; the feed continues from now.');
      retry(0);
      return;
    }
    // A dropped network, 1013 (too slow: resume), 1001/1012 (server going away): resume.
    var delay = Math.min(RETRY_MAX, RETRY_MIN * Math.pow(2, attempt));
    attempt++;
    retry(delay / 2 + Math.random() * delay / 2);
  }

  function retry(delay) {
    stop();
    setState(everLive ? 'reconnecting' : 'connecting');
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function hasCode(err, code) {
    return Array.isArray(err) && err.some(function (e) {
      return e && e.extensions && e.extensions.code === code;
    });
  }

  function setState(state, detail) {
    stateEl.dataset.state = state;
    stateEl.textContent = STATE_LABELS[state] + (detail ? ': ' + detail : '');
  }

  // show puts one event at the top of the feed, once, and remembers its cursor.
  function show(ev) {
    if (seen.has(ev.cursor)) {
      return;
    }
    seen.add(ev.cursor);
    cursor = ev.cursor;
    store(CURSOR_KEY, cursor);

    var o = ev.order || {};
    var li = document.createElement('li');
    li.dataset.order = o.number || '';
    li.dataset.status = ev.status;
    li.dataset.cursor = ev.cursor;
    li.appendChild(span('time', formatTime(ev.occurredAt)));
    li.appendChild(span('number', o.number || ''));
    li.appendChild(span('customer', o.customer ? o.customer.name : ''));
    li.appendChild(span('amount', formatMoney(o.total) + ' ' + (o.currency || '')));
    var change = span('change', '');
    if (ev.previousStatus) {
      change.appendChild(span('status status-' + ev.previousStatus, label(ev.previousStatus)));
      change.appendChild(document.createTextNode(' → '));
    } else {
      change.appendChild(document.createTextNode('new → '));
    }
    change.appendChild(span('status status-' + ev.status, label(ev.status)));
    li.appendChild(change);

    var list = $('feed');
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_ROWS) {
      var last = list.lastChild;
      seen.delete(last.dataset.cursor);
      list.removeChild(last);
    }
    $('feed-empty').hidden = true;
    scheduleFigures();
  }

  // scheduleFigures refreshes the figures once for a burst of events: FIGURES_DELAY after
  // the first, and again after the refresh in flight if more came meanwhile.
  function scheduleFigures() {
    if (figures.timer === null) {
      figures.timer = setTimeout(function () {
        figures.timer = null;
        refreshFigures();
      }, FIGURES_DELAY);
    }
  }

  function refreshFigures() {
    if (!token) {
      return;
    }
    if (figures.inFlight) {
      figures.again = true;
      return;
    }
    figures.inFlight = true;
    fetch(httpURL.href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: FIGURES, variables: { day: localDay() } }),
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res.json().catch(function () {
        throw new Error('HTTP ' + res.status);
      });
    }).then(function (body) {
      if (hasCode(body.errors, 'UNAUTHENTICATED') || hasCode(body.errors, 'FORBIDDEN')) {
        signOut('The server refused the token (expired, or its user is no longer active). Paste a new one.');
        return;
      }
      if (!body.data || !body.data.dashboardSummary) {
        throw new Error(body.errors && body.errors[0] ? body.errors[0].message : 'no figures');
      }
      renderFigures(body.data.dashboardSummary);
      notice('figures-error', '');
    }).catch(function (e) {
      notice('figures-error', 'The figures could not be refreshed (' + e.message + '); they are retried shortly.');
    }).then(function () {
      figures.inFlight = false;
      if (figures.again) {
        figures.again = false;
        scheduleFigures();
      }
    });
  }

  function renderFigures(s) {
    $('figures-day').textContent = s.day;
    $('orders-today').textContent = String(s.ordersToday);
    $('on-hold').textContent = String(s.onHold);
    var body = $('figures').tBodies[0];
    var rows = s.currencies.map(function (c) {
      var tr = document.createElement('tr');
      tr.dataset.currency = c.currency;
      [c.currency, String(c.ordersToday), formatMoney(c.ordersTodayValue), String(c.onHold),
        formatMoney(c.onHoldValue), String(c.backlogOrders), formatMoney(c.backlogValue)].forEach(function (v, i) {
        var td = document.createElement(i === 0 ? 'th' : 'td');
        td.textContent = v;
        tr.appendChild(td);
      });
      return tr;
    });
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = 7;
      td.className = 'muted';
      td.textContent = 'Nothing yet.';
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function notice(id, text) {
    $(id).textContent = text;
    $(id).hidden = !text;
  }

  function span(cls, text) {
    var s = document.createElement('span');
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function label(status) {
    return String(status).replace(/_/g, ' ');
  }

  // formatMoney groups a Decimal string's digits by thousands, as text: never a float.
  function formatMoney(d) {
    if (typeof d !== 'string') {
      return '';
    }
    var neg = d.charAt(0) === '-';
    var parts = (neg ? d.slice(1) : d).split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (neg ? '−' : '') + whole + (parts.length > 1 ? '.' + parts[1] : '');
  }

  function formatTime(iso) {
    var t = new Date(iso);
    return isNaN(t) ? '' : t.toLocaleTimeString();
  }

  // localDay is today's date where the browser is, as the API's Date (YYYY-MM-DD).
  function localDay() {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  }

  function load(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: memory only
    }
  }

  function store(key, value) {
    try {
      if (value === null) {
        window.sessionStorage.removeItem(key);
      } else {
        window.sessionStorage.setItem(key, value);
      }
    } catch (e) {
      // storage disabled: memory only
    }
  }

  // takeFragmentToken returns the token=… parameter of the address's fragment, or '', and
  // removes that parameter from the address bar (keeping any other fragment parameters).
  function takeFragmentToken() {
    if (window.location.hash.length < 2) {
      return '';
    }
    var params = new URLSearchParams(window.location.hash.slice(1));
    var t = params.get('token');
    if (t === null) {
      return '';
    }
    params.delete('token');
    var rest = params.toString();
    history.replaceState(history.state, '',
      window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
    return t.trim();
  }
})();
