// Mounts GraphiQL on #graphiql, posting to the endpoint named in the page. A served file, not
// an inline script, so the page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: root.getAttribute("data-endpoint") });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
