// PostGraphile v5 over the bench's database, as `make bench` measures it (bench/peers.py):
// the Amber and V4 presets with connection-filter (relation filters on), production mode
// (NODE_ENV=production, no GraphiQL, no explain), one process, a pool of 10, no auth.
//   DATABASE_URL=... STOREFRONT_PORT=8002 node postgraphile.mjs
import { createServer } from "node:http";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeV4Preset } from "postgraphile/presets/v4";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const preset = {
  extends: [
    PostGraphileAmberPreset,
    makeV4Preset({ graphiql: false, allowExplain: false }),
    PostGraphileConnectionFilterPreset,
  ],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 10 },
    }),
  ],
  schema: { connectionFilterRelations: true },
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
};

// Building the schema warns about every column type it cannot map (a migration table's
// xid8): counted, not printed, as none of them is in the benchmark's queries.
const quiet = { warn: console.warn, error: console.error };
let warnings = 0;
console.warn = console.error = () => warnings++;
const pgl = postgraphile(preset);
try {
  await pgl.getSchemaResult(); // ready means the schema is built
} finally {
  Object.assign(console, quiet);
}
if (warnings) console.warn(`postgraphile: ${warnings} warnings while building the schema`);
const handler = pgl.createServ(grafserv).createHandler();
const server = createServer((req, res) => {
  if (req.url === "/readyz") {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
  } else {
    handler(req, res);
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.STOREFRONT_PORT), "127.0.0.1");
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close();
    pgl.release().then(() => process.exit(0));
  });
}
