"""Compiled reads: a query executed a selection at a time instead of a value at a time.

graphql-core completes every field of every object on its own — a coroutine, an `Info`, a
path and several checks per value — so a page of 50 orders with their lines and products
costs thousands of Python steps and most of a request's time. Here a validated query is
compiled once (per document, operation and the values of its Boolean variables, which are
all that `@skip`/`@include` can read) into a tree of selections, and executed level by level
over every object of a level together: plain attributes are read in one comprehension,
fields declared with `batched_field` are loaded for all their parents with one call, and
any other field calls its Strawberry resolver exactly as graphql-core would.

Only success is served from here. When anything else happens — a resolver raises, a
non-null field comes back null, a value's type cannot be told — the run is abandoned and
the query executed again by graphql-core, which builds the errors, partial data and paths
the specification asks for. Queries read and change nothing, and the second run reads
through the same loaders and `sql.read_once` as the first, so it costs the database nothing
more: a statement that failed fails again at once. Mutations are compiled too, but never
run twice (`mutations`); subscriptions and introspection always go to graphql-core.

`fields` holds the markers the schema declares fields with, `compile` the compiler and its
per-document plan cache, `tree` what a plan is made of, `arguments` how a plan keeps
converted arguments, `run` the runner and `mutations` the serial runner of mutations.
"""
