// Subscribes with the graphql-ws client to a running server and prints each event as one
// JSON line, then exits after `count` events: node subscription_client.mjs <ws url> <count>.
import { createClient } from "graphql-ws";

const [url, count] = process.argv.slice(2);
const client = createClient({ url, lazy: false, retryAttempts: 0 });
const query = "subscription { productChanged { kind product { name } } }";
let seen = 0;
client.on("connected", () => console.log(JSON.stringify({ connected: true })));
for await (const event of client.iterate({ query })) {
  console.log(JSON.stringify(event));
  seen += 1;
  if (seen >= Number(count)) break;
}
await client.dispose();
