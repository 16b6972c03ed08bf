// One product, refetchable by itself: Relay refetches a Node through `node(id:)`.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment ProductDetails_product on Product
  @refetchable(queryName: "ProductDetailsRefetchQuery") {
    id
    rev
    sku
    name
    description
    price
    stock
    createdAt
    updatedAt
    deletedAt
    category {
      id
      name
    }
  }
`;
