// Relay's store against a live server: the operations under tests/relay/src, compiled by
// relay-compiler, run through relay-runtime as a Relay app runs them (without React).
//
// Usage: node tests/e2e/relay_store.mjs <graphql url> <bearer token> <artifact directory>
//        <id of a customer without orders>
// Prints {"steps": [...], "warnings": [...], "records": {...}} as JSON; exits 1 (with the
// failed step on stderr) when what the store holds is not what the step expects.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import relay from 'relay-runtime';

// What relay-runtime warns about (it writes through console.error in development builds).
const warnings = [];
for (const level of ['error', 'warn']) {
  console[level] = (...args) => warnings.push(args.map(String).join(' '));
}

const {
  Environment,
  Network,
  RecordSource,
  Store,
  ConnectionHandler,
  commitMutation,
  createOperationDescriptor,
  fetchQuery,
  getSelector,
} = relay;

const [url, token, artifacts, customerId] = process.argv.slice(2);
if (!customerId) {
  process.stderr.write('usage: node relay_store.mjs <url> <bearer token> <artifacts> <customer id>\n');
  process.exit(2);
}
// The artifacts are CommonJS modules (`eagerEsModules: false` in tests/relay).
const require = createRequire(import.meta.url);
const artifact = (name) => require(path.resolve(artifacts, `${name}.graphql.js`));

async function post(query, variables) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

const environment = new Environment({
  network: Network.create((params, variables) => post(params.text, variables)),
  store: new Store(new RecordSource()),
});
const source = () => environment.getStore().getSource();

// Another client's write, behind this store's back.
async function elsewhere(query, variables) {
  const body = await post(query, variables);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

function mutate(name, variables) {
  return new Promise((resolve, reject) => {
    commitMutation(environment, {
      mutation: artifact(name),
      variables,
      onCompleted: (data, errors) => (errors ? reject(new Error(JSON.stringify(errors))) : resolve(data)),
      onError: reject,
    });
  });
}

// Queries stay retained, as a mounted component keeps them: nothing is garbage collected.
async function query(name, variables) {
  const request = artifact(name);
  await fetchQuery(environment, request, variables).toPromise();
  const operation = createOperationDescriptor(request, variables);
  environment.retain(operation);
  return operation;
}

// A fragment's data as a component would read it; `holder` is the object with its reference.
function readFragment(holder, fragmentName) {
  const snapshot = environment.lookup(getSelector(artifact(fragmentName), holder));
  assert.equal(snapshot.isMissingData, false, `${fragmentName} is missing data`);
  return snapshot.data;
}

const steps = [];
async function step(name, run) {
  try {
    await run();
    steps.push(name);
  } catch (error) {
    process.stderr.write(`step failed: ${name}\n${error.stack}\n`);
    process.stderr.write(`warnings so far: ${JSON.stringify(warnings)}\n`);
    process.exit(1);
  }
}

const UPDATE_ELSEWHERE = `mutation($id: ID!, $rev: Int!, $name: String!) {
  updateProduct(id: $id, rev: $rev, patch: {name: $name}) {
    __typename ... on UpdateProductSuccess { product { rev } } } }`;
const DELETE_ELSEWHERE = `mutation($id: ID!, $rev: Int!) {
  deleteProduct(id: $id, rev: $rev) { __typename } }`;

async function main() {
  let list;
  const root = (operation) => environment.lookup(operation.fragment).data;
  const products = () => readFragment(root(list), 'ProductList_query').products;
  const rows = () => products().edges.map((edge) => readFragment(edge.node, 'ProductRow_product'));
  const names = () => rows().map((row) => row.name);
  const connection = ConnectionHandler.getConnectionID('client:root', 'ProductList_products');

  await step('the first page of products', async () => {
    list = await query('ProductListQuery', { count: 2 });
    assert.deepEqual(names(), ['Anvil', 'Chisel']);
    assert.equal(products().__id, connection);
  });

  await step('the next page joins the connection', async () => {
    const cursor = source().get(source().get(connection).pageInfo.__ref).endCursor;
    await query('ProductListPaginationQuery', { count: 2, cursor });
    assert.deepEqual(names(), ['Anvil', 'Chisel', 'Drill', 'Hammer']);
  });

  const [anvil, chisel, drill] = rows();

  await step('a node refetch fills the fragment of one product', async () => {
    await query('ProductDetailsRefetchQuery', { id: anvil.id });
    assert.equal(source().get(anvil.id).sku, 'AN-0001');
    assert.equal(source().get(source().get(anvil.id).category.__ref).name, 'Tools');
  });

  await step("a ConflictError's current refreshes the cached product", async () => {
    await elsewhere(UPDATE_ELSEWHERE, { id: anvil.id, rev: anvil.rev, name: 'Anvil XL' });
    const data = await mutate('UpdateProductMutation', {
      id: anvil.id,
      rev: anvil.rev,
      patch: { name: 'Anvil (mine)' },
    });
    const result = data.updateProduct;
    assert.equal(result.__typename, 'ConflictError');
    assert.equal(result.current.id, anvil.id);
    const record = source().get(anvil.id);
    assert.equal(record.__typename, 'Product');
    assert.equal(record.rev, anvil.rev + 1);
    assert.equal(record.name, 'Anvil XL');
    assert.equal(names()[0], 'Anvil XL');
  });

  await step('a created product joins the list with the edge the server returned', async () => {
    const categoryId = source().get(source().get(anvil.id).category.__ref).id;
    const data = await mutate('CreateProductMutation', {
      input: { sku: 'SA-0001', name: 'Saw', price: '12.50', categoryId },
      connections: [connection],
    });
    const edge = data.createProduct.productEdge;
    assert.equal(data.createProduct.__typename, 'CreateProductSuccess');
    assert.deepEqual(names(), ['Anvil XL', 'Chisel', 'Drill', 'Hammer', 'Saw']);
    assert.equal(products().edges[4].cursor, edge.cursor);
    assert.equal(source().get(edge.node.id).price, '12.50');
  });

  await step('a deleted product leaves the list and the store', async () => {
    const data = await mutate('DeleteProductMutation', {
      id: chisel.id,
      rev: chisel.rev,
      connections: [connection],
    });
    assert.equal(data.deleteProduct.__typename, 'DeleteProductSuccess');
    assert.deepEqual(names(), ['Anvil XL', 'Drill', 'Hammer', 'Saw']);
    assert.equal(source().get(chisel.id), null);
  });

  await step('updating the deleted product is a NotFoundError naming it', async () => {
    const data = await mutate('UpdateProductMutation', {
      id: chisel.id,
      rev: chisel.rev + 1,
      patch: { name: 'Chisel II' },
    });
    assert.equal(data.updateProduct.__typename, 'NotFoundError');
    assert.equal(data.updateProduct.nodeId, chisel.id);
    assert.equal(data.updateProduct.code, 'NOT_FOUND');
    assert.equal(source().get(chisel.id), null);
  });

  await step('a NotFoundError for a product still cached leaves its record a Product', async () => {
    await elsewhere(DELETE_ELSEWHERE, { id: drill.id, rev: drill.rev });
    const data = await mutate('UpdateProductMutation', {
      id: drill.id,
      rev: drill.rev,
      patch: { name: 'Drill II' },
    });
    assert.equal(data.updateProduct.__typename, 'NotFoundError');
    assert.equal(data.updateProduct.nodeId, drill.id);
    const record = source().get(drill.id);
    assert.equal(record.__typename, 'Product');
    assert.equal(record.name, 'Drill');
    assert.deepEqual(names(), ['Anvil XL', 'Drill', 'Hammer', 'Saw']);
  });

  let tree;
  const categoriesConnection = ConnectionHandler.getConnectionID(
    'client:root',
    'CategoryTree_categories',
  );
  const categories = () => readFragment(root(tree), 'CategoryTree_query').categories.edges;

  await step('nested connections: categories, each with its products', async () => {
    tree = await query('CategoryTreeQuery', {});
    assert.deepEqual(
      categories().map((edge) => edge.node.name),
      ['Garden', 'Tools'],
    );
    const tools = categories()[1].node;
    const inner = readFragment(tools, 'CategoryProducts_category');
    assert.deepEqual(
      inner.products.edges.map((edge) => edge.node.name),
      ['Anvil XL', 'Hammer', 'Saw'],
    );
  });

  await step('a created category is prepended as a new edge', async () => {
    const data = await mutate('CreateCategoryMutation', {
      input: { name: 'Paint' },
      connections: [categoriesConnection],
    });
    assert.equal(data.createCategory.__typename, 'CreateCategorySuccess');
    assert.deepEqual(
      categories().map((edge) => edge.node.name),
      ['Paint', 'Garden', 'Tools'],
    );
  });

  await step("a placed order is appended to the customer's orders", async () => {
    const orders = await query('CustomerOrdersQuery', { id: customerId });
    const ordersOf = () => readFragment(root(orders).customer, 'CustomerOrders_customer');
    assert.equal(ordersOf().orders.edges.length, 0);
    const data = await mutate('PlaceOrderMutation', {
      input: { customerId, lines: [{ productId: anvil.id, quantity: 2 }] },
      connections: [ConnectionHandler.getConnectionID(customerId, 'CustomerOrders_orders')],
    });
    assert.equal(data.placeOrder.__typename, 'PlaceOrderSuccess');
    const placed = ordersOf().orders.edges.map((edge) => edge.node);
    assert.deepEqual(
      placed.map((order) => [order.id, order.status]),
      [[data.placeOrder.order.id, 'PENDING']],
    );
    const summary = readFragment(placed[0], 'OrderSummary_order');
    assert.equal(summary.total, '20.00');
    assert.deepEqual(
      summary.lines.map((line) => [line.product.name, line.quantity, line.subtotal]),
      [['Anvil XL', 2, '20.00']],
    );
  });

  const records = {};
  const all = source();
  for (const id of all.getRecordIDs()) {
    const record = all.get(id);
    if (record) records[id] = record.__typename;
  }
  process.stdout.write(JSON.stringify({ steps, warnings, records }));
}

await main();
