// The products of one category: a connection inside a node, paginated through `node(id:)`.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment CategoryProducts_category on Category
  @argumentDefinitions(count: { type: "Int", defaultValue: 5 }, cursor: { type: "String" })
  @refetchable(queryName: "CategoryProductsPaginationQuery") {
    products(first: $count, after: $cursor) @connection(key: "CategoryProducts_products") {
      __id
      edges {
        node {
          id
          name
          price
        }
      }
    }
  }
`;
