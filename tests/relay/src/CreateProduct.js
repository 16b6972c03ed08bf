// A new product joins the lists that hold it with the edge the server returns.
import { graphql } from 'relay-runtime';

export const mutation = graphql`
  mutation CreateProductMutation($input: CreateProductInput!, $connections: [ID!]!) {
    createProduct(input: $input) {
      __typename
      ... on CreateProductSuccess {
        productEdge @appendEdge(connections: $connections) {
          cursor
          node {
            id
            ...ProductRow_product
          }
        }
      }
      ... on ValidationError {
        fields {
          path
          message
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
