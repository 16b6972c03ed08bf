// A rev-checked write: a ConflictError's `current` refreshes the cached product; a
// NotFoundError names the missing product in `nodeId`, leaving its cached record alone.
import { graphql } from 'relay-runtime';

export const mutation = graphql`
  mutation UpdateProductMutation($id: ID!, $rev: Int!, $patch: ProductPatch!) {
    updateProduct(id: $id, rev: $rev, patch: $patch) {
      __typename
      ... on UpdateProductSuccess {
        product {
          id
          ...ProductRow_product
        }
      }
      ... on ConflictError {
        expectedRev
        currentRev
        current {
          id
          ...ProductRow_product @alias
        }
      }
      ... on NotFoundError {
        nodeId
      }
      ... on ValidationError {
        fields {
          path
          message
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`;
