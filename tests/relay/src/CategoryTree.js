// Nested connections: a page of categories, each with a page of its products.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query CategoryTreeQuery {
    ...CategoryTree_query
  }
`;

export const fragment = graphql`
  fragment CategoryTree_query on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "CategoryTreePaginationQuery") {
    categories(first: $count, after: $cursor) @connection(key: "CategoryTree_categories") {
      __id
      edges {
        node {
          id
          name
          productCount
          ...CategoryProducts_category
        }
      }
    }
  }
`;
