// A customer's orders with their lines: a connection under a node fetched by id.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query CustomerOrdersQuery($id: ID!) {
    customer(id: $id) {
      ...CustomerOrders_customer
    }
  }
`;

export const fragment = graphql`
  fragment CustomerOrders_customer on Customer
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "CustomerOrdersPaginationQuery") {
    id
    name
    orderCount
    totalSpent
    orders(first: $count, after: $cursor) @connection(key: "CustomerOrders_orders") {
      __id
      edges {
        node {
          id
          status
          ...OrderSummary_order
        }
      }
    }
  }
`;
