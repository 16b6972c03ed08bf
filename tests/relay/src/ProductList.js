// A paginated product list: a @refetchable fragment over the root `products` connection.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query ProductListQuery($count: Int!) {
    ...ProductList_query @arguments(count: $count)
  }
`;

export const fragment = graphql`
  fragment ProductList_query on Query
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" })
  @refetchable(queryName: "ProductListPaginationQuery") {
    products(first: $count, after: $cursor) @connection(key: "ProductList_products") {
      __id
      totalCount
      edges {
        cursor
        node {
          id
          ...ProductRow_product
          ...ProductDetails_product
        }
      }
    }
  }
`;
