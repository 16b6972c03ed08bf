// Subscribes with the graphql-sse client (distinct or single connection mode) and prints
// each result as one JSON line, then stops after `count`:
// node sse_client.mjs <stream url> <distinct|single> <count>
import { createClient } from "graphql-sse";

const [url, mode, count] = process.argv.slice(2);
const client = createClient({ url, singleConnection: mode === "single", retryAttempts: 0 });
// With __typename, as Apollo Client adds it: both clients see the same result.
const query = "subscription { productChanged { __typename kind product { __typename name } } }";
let seen = 0;
console.log(JSON.stringify({ subscribing: mode }));
for await (const result of client.iterate({ query })) {
  console.log(JSON.stringify(result));
  seen += 1;
  if (seen >= Number(count)) break; // single connection mode: the client DELETEs the operation
}
client.dispose();
