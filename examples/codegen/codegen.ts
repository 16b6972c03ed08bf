// graphql-codegen for a TypeScript client of Storefront GraphQL.
// Copy it beside your app, point `schema` at the checked-in schema.graphql (or at a running
// server's /graphql) and `documents` at your operations, then run `npx graphql-codegen`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["src/**/*.graphql"],
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript", "typescript-operations"],
      config: {
        // Every custom scalar must be mapped: an unmapped one fails the run instead of
        // becoming `unknown`.
        strictScalars: true,
        scalars: {
          // Exact decimals travel as strings ("19.99"); parse them with a decimal library,
          // never with Number, to keep cents exact.
          Decimal: "string",
          // RFC 3339 with an offset ("2024-05-01T12:00:00+00:00"): `new Date(value)` reads it.
          DateTime: "string",
        },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
