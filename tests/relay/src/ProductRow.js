// What a list shows of one product; the list and the mutations that add or change one spread
// it, so what they answer refreshes exactly what the list shows.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment ProductRow_product on Product {
    id
    rev
    name
    price
    updatedAt
  }
`;
