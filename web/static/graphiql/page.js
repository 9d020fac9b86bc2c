// Boots GraphiQL for web/graphiql.html. Hand-written; update-assets.sh leaves it alone.
//
// The server renders its settings as JSON into <script type="application/json"
// id="graphiql-config">, which the browser never executes; this file is served from 'self', so
// the page's Content-Security-Policy needs no 'unsafe-inline' or 'unsafe-eval' for scripts.
//
// Globals from the UMD builds loaded before this file: React, ReactDOM, GraphiQL and,
// optionally, GraphiQLPluginExplorer.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('graphiql-config').textContent);

  // A link like /#token=T carries a token in the fragment, which the browser never sends to
  // the server (so it is in no served page and no server log). Take it, and take it out of
  // the address bar at once, without a history entry, so that Back, bookmarks and a shared
  // screen do not show it.
  var linkToken = takeFragmentToken();

  // GraphiQL's dialogs inject a <style> element (react-remove-scroll, through get-nonce),
  // which the page's CSP admits only with this response's nonce; get-nonce reads it from the
  // global that webpack would set.
  window.__webpack_nonce__ = cfg.styleNonce;

  // Both endpoints may be relative ("/graphql") or absolute; resolve them against the page.
  var httpURL = new URL(cfg.endpoint, window.location.href);
  // Without an explicit subscription endpoint, subscriptions go to the HTTP endpoint over
  // ws:// or wss://, following the page's own scheme when the endpoint is relative.
  var wsURL = new URL(cfg.subscriptionEndpoint || httpURL.href, window.location.href);
  if (wsURL.protocol === 'http:') {
    wsURL.protocol = 'ws:';
  } else if (wsURL.protocol === 'https:') {
    wsURL.protocol = 'wss:';
  }

  // createFetcher is @graphiql/toolkit's createGraphiQLFetcher; graphiql's UMD build bundles
  // graphql-ws, so subscriptions speak graphql-transport-ws with nothing else loaded.
  //
  // Subscriptions and the Authorization header: for every subscription the fetcher opens a
  // new graphql-ws client whose connection_init payload is
  //   {...wsConnectionParams, ...<the headers editor's headers at that moment>}
  // so the payload is {"Authorization": "Bearer <token>"} with whatever token the headers tab
  // holds when the subscription starts: it is read lazily, and an edited token is used from
  // the next subscription on without reloading the page. The lazy client closes its socket
  // when the subscription ends. wsConnectionParams stays empty: a default token in it would
  // silently authenticate a user who deleted the header.
  var fetcher = withEditorHeaders(GraphiQL.createFetcher({
    url: httpURL.href,
    subscriptionUrl: wsURL.href,
    wsConnectionParams: {},
  }));

  var props = {
    fetcher: fetcher,
    // Keep the headers tab (and so the token) across reloads, in this browser's localStorage.
    shouldPersistHeaders: true,
    // Open the headers tab so that the Authorization header, or its placeholder, is seen.
    defaultEditorToolsVisibility: 'headers',
    // Headers of every tab opened later.
    defaultHeaders: cfg.headers,
    plugins: [],
  };
  if (linkToken) {
    // The link's token replaces the headers the browser kept (possibly a stale token from
    // an earlier run); from here on it persists like a pasted one.
    props.headers = JSON.stringify({ Authorization: 'Bearer ' + linkToken }, null, 2);
  }
  if (cfg.defaultQuery) {
    // Shown on first load only; after that GraphiQL restores the user's own tabs.
    props.defaultQuery = cfg.defaultQuery;
  }
  if (window.GraphiQLPluginExplorer) {
    props.plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, props));

  // withEditorHeaders fixes one gap of GraphiQL 4: it sends its first IntrospectionQuery
  // before the headers editor exists, so without any headers, and an endpoint that wants a
  // token for introspection then leaves GraphiQL with no schema (no docs, no completion)
  // until "Re-fetch GraphQL schema" is clicked. A request that comes without headers waits
  // (briefly) for the headers editor and sends what it holds. Requests with headers, which
  // is every request GraphiQL makes once the editor exists, pass through unchanged.
  function withEditorHeaders(fetcher) {
    return function (params, opts) {
      if (opts && opts.headers) {
        return fetcher(params, opts);
      }
      return headersEditor(3000).then(function (cm) {
        var headers = null;
        try {
          headers = cm && cm.getValue().trim() ? JSON.parse(cm.getValue()) : null;
        } catch (e) {
          headers = null; // GraphiQL itself reports invalid headers on the next run
        }
        return fetcher(params, Object.assign({}, opts, headers ? { headers: headers } : {}));
      });
    };
  }

  // takeFragmentToken returns the token=… parameter of the address's fragment, or '', and
  // removes that parameter from the address bar (keeping any other fragment parameters).
  function takeFragmentToken() {
    if (window.location.hash.length < 2) {
      return '';
    }
    var params = new URLSearchParams(window.location.hash.slice(1));
    var token = params.get('token');
    if (token === null) {
      return '';
    }
    params.delete('token');
    var rest = params.toString();
    history.replaceState(history.state, '',
      window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
    return token.trim();
  }

  // headersEditor resolves to the CodeMirror 5 instance of the headers editor, or null if
  // none appears within timeoutMs. CodeMirror hangs the instance on its wrapper element; of
  // the two editors under the variables/headers tabs, the headers one is in JSON mode (the
  // variables one is in "graphql-variables" mode).
  function headersEditor(timeoutMs) {
    var deadline = Date.now() + timeoutMs;
    return new Promise(function (resolve) {
      (function look() {
        var found = Array.prototype.map
          .call(document.querySelectorAll('.graphiql-editor-tool .CodeMirror'), function (el) {
            return el.CodeMirror;
          })
          .filter(function (cm) {
            var mode = cm && cm.getOption('mode');
            return mode && mode.json === true;
          })[0];
        if (found || Date.now() > deadline) {
          resolve(found || null);
        } else {
          setTimeout(look, 25);
        }
      })();
    });
  }
})();
