// Mounts GraphiQL on #graphiql, posting to the endpoint named in the page. A served file, not
// an inline script, so the page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var setupElement = document.getElementById("graphiql-setup");
  var setup = setupElement ? JSON.parse(setupElement.textContent) : {};
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href);
  // Subscriptions go over graphql-transport-ws on the same path (GraphiQL bundles the
  // graphql-ws client); the headers tab becomes the connection_init payload.
  var socket = (endpoint.protocol === "https:" ? "wss://" : "ws://") + endpoint.host;
  var fetcher = withLowerCaseHeaders(
    GraphiQL.createFetcher({
      url: endpoint.pathname,
      subscriptionUrl: socket + endpoint.pathname,
    })
  );

  var props = {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    shouldPersistHeaders: Boolean(setup.persistHeaders),
  };
  // GraphiQL uses these only while the browser holds no tabs of its own: the first visit.
  if (setup.tabs && setup.tabs.length) props.defaultTabs = setup.tabs;
  if (setup.headers) props.defaultHeaders = setup.headers;

  // A shared link, /graphql?query=...&variables=...&operationName=..., opens its query in
  // the editor: in a tab of its own, the first one on a first visit.
  var shared = new URLSearchParams(window.location.search);
  var query = shared.get("query");
  if (query) {
    props.query = query;
    props.variables = shared.get("variables") || "";
    props.operationName = shared.get("operationName") || undefined;
    var tab = { query: query, variables: props.variables, headers: setup.headers };
    props.defaultTabs = [tab].concat(props.defaultTabs || []);
  }

  // GraphiQL fills the first tab's variables and headers editors from these props, not from
  // the tab, and would give it the default headers: hand it the tab's own on a first visit.
  if (props.defaultTabs && !storedTabs()) {
    props.variables = props.defaultTabs[0].variables || "";
    props.headers = props.defaultTabs[0].headers || "";
  }

  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));

  function storedTabs() {
    try {
      return window.localStorage.getItem("graphiql:tabState");
    } catch (blocked) {
      return null; // storage is off: GraphiQL opens the default tabs every time
    }
  }

  // Header names are case-insensitive over HTTP, but a WebSocket's connection_init payload
  // is plain JSON: the server reads `authorization`, whatever the headers tab spells.
  function withLowerCaseHeaders(fetch) {
    return function (params, options) {
      if (options && options.headers) {
        var lower = {};
        Object.keys(options.headers).forEach(function (name) {
          lower[name.toLowerCase()] = options.headers[name];
        });
        options = Object.assign({}, options, { headers: lower });
      }
      return fetch(params, options);
    };
  }
})();
