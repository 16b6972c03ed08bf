// A new category goes to the top of the lists that hold categories (the node, wrapped in a
// new edge by Relay).
import { graphql } from 'relay-runtime';

export const mutation = graphql`
  mutation CreateCategoryMutation($input: CreateCategoryInput!, $connections: [ID!]!) {
    createCategory(input: $input) {
      __typename
      ... on CreateCategorySuccess {
        category @prependNode(connections: $connections, edgeTypeName: "CategoryEdge") {
          id
          name
          productCount
        }
      }
      ... on Error {
        message
        code
      }
    }
  }
`;
