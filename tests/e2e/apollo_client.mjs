// Subscribes with Apollo Client's HttpLink (multipart subscriptions over plain HTTP) and
// prints each result as one JSON line, then stops after `count`:
// node apollo_client.mjs <graphql url> <count>
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";

const [uri, count] = process.argv.slice(2);
const client = new ApolloClient({ link: new HttpLink({ uri }), cache: new InMemoryCache() });
const query = gql`
  subscription {
    productChanged {
      kind
      product {
        name
      }
    }
  }
`;
let seen = 0;
console.log(JSON.stringify({ subscribing: "multipart" }));
const subscription = client.subscribe({ query, fetchPolicy: "no-cache" }).subscribe({
  next(result) {
    console.log(JSON.stringify({ data: result.data, error: result.error?.message }));
    seen += 1;
    if (seen >= Number(count)) {
      subscription.unsubscribe();
      client.stop();
    }
  },
  error(error) {
    console.error(error);
    process.exitCode = 1;
  },
});
