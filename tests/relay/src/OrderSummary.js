// What a list shows of one order; the list and the mutation that adds to it both spread it.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment OrderSummary_order on Order {
    id
    number
    status
    total
    placedAt
    lines {
      id
      quantity
      unitPrice
      subtotal
      product {
        id
        name
      }
    }
  }
`;
