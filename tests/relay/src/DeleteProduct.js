// A deleted product leaves the lists that hold it and the store.
import { graphql } from 'relay-runtime';

export const mutation = graphql`
  mutation DeleteProductMutation($id: ID!, $rev: Int!, $connections: [ID!]!) {
    deleteProduct(id: $id, rev: $rev) {
      __typename
      ... on DeleteProductSuccess {
        product {
          id @deleteEdge(connections: $connections)
        }
        removed: product {
          id @deleteRecord
        }
      }
      ... on ConflictError {
        currentRev
        current {
          id
          ... on Product {
            rev
          }
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
