// A placed order joins the end of the customer's order list.
import { graphql } from 'relay-runtime';

export const mutation = graphql`
  mutation PlaceOrderMutation($input: PlaceOrderInput!, $connections: [ID!]!) {
    placeOrder(input: $input) {
      __typename
      ... on PlaceOrderSuccess {
        order @appendNode(connections: $connections, edgeTypeName: "OrderEdge") {
          id
          status
          ...OrderSummary_order
        }
      }
      ... on InsufficientStockError {
        items {
          product {
            id
            stock
          }
          requested
          available
        }
      }
      ... on NotFoundError {
        nodeId
      }
      ... on Error {
        message
        code
      }
    }
  }
`;
