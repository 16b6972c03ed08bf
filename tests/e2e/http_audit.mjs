// Runs every server audit of graphql-http (the GraphQL-over-HTTP spec's own conformance
// suite) against the endpoint given as the only argument, and prints the results as JSON:
// [{"id", "name", "status": "ok" | "notice" | "warn" | "error", "reason"}].
//
// Usage: node tests/e2e/http_audit.mjs http://127.0.0.1:8000/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node http_audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = [];
// One at a time, so a failure's reason is not mixed up with another audit's traffic.
for (const audit of serverAudits({ url })) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // An audit throws only when it could not run at all (e.g. the server is unreachable).
    result = { status: 'error', reason: `audit could not run: ${error}` };
  }
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? null : await describe(result),
  });
}
console.log(JSON.stringify(results, null, 2));

// The audit's reason plus what the server answered, so a failure needs no second run.
async function describe(result) {
  const response = result.response;
  if (!response) return result.reason;
  let body = '';
  try {
    body = response.bodyUsed ? '(body already read)' : (await response.text()).slice(0, 500);
  } catch {
    body = '(body unreadable)';
  }
  const type = response.headers.get('content-type');
  return `${result.reason} [HTTP ${response.status}, ${type}] ${body}`;
}
