"""Product mutations: their inputs, success types and result unions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from gql.context import Info
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InsufficientStockError,
    NotFoundError,
    ValidationError,
    outcome,
    result_union,
)
from gql.generated import Part, create_input, patch_input
from gql.inputs import IdempotencyKey, provided, target
from gql.pagination import Edge, new_edge_description
from gql.products import PRODUCTS, Product, ProductQueries
from gql.standard_mutations import batch_of, standard_fields, success_type
from resolvers import product_mutations as writes
from resolvers.context import RequestContext
from resolvers.products import READS as PRODUCT_READS
from sql.products import PRODUCT, ProductRow

CreateProductInput = create_input(
    PRODUCT,
    {
        "sku": 'Stock keeping unit: 3-32 of A-Z, 0-9 and "-", unique among live products.',
        "name": "Display name, 1-200 characters.",
        "description": "Up to 10,000 characters. In upsertProduct, omitted keeps the current one.",
        "price": "Unit price, 0-1,000,000, at most 2 decimals.",
        "stock": "Units on hand, at least 0; 0 when omitted (in upsertProduct, omitted keeps an "
        "existing product's stock).",
        "category_id": "The id of a live Category.",
    },
    optional=("stock",),
)
ProductPatch = patch_input(
    PRODUCT,
    {
        "stock": "A new stock level (null is not allowed).",
        "category_id": "Move it to this live Category (null is not allowed).",
    },
)


@strawberry.type(description="Every product of the batch was created.")
class CreateProductsSuccess:
    products: list[Product] = strawberry.field(description="The new products, in input order.")
    product_edges: list[Edge[Product]] = strawberry.field(
        description="The new products, in input order, each with its cursor in `products` in "
        "the default ordering, to add to a connection the client holds (Relay's @appendEdge)."
    )


@strawberry.type(description="The product was created or updated.")
class UpsertProductSuccess:
    product: Product = strawberry.field(description="The product as it is now.")
    created: bool = strawberry.field(description="True when it was created, false when updated.")
    product_edge: Edge[Product] = strawberry.field(description=new_edge_description("products"))


AdjustStockSuccess = success_type(
    "AdjustStockSuccess",
    "product",
    Product,
    ("The stock was adjusted.", "The product with its new stock."),
)


CreateProductsResult = result_union(
    CreateProductsSuccess,
    NotFoundError,
    ValidationError,
    AlreadyExistsError,
    IdempotencyKeyReusedError,
    ForbiddenError,
)
UpsertProductResult = result_union(
    UpsertProductSuccess, NotFoundError, ConflictError, ValidationError, ForbiddenError
)
AdjustStockResult = result_union(
    AdjustStockSuccess, NotFoundError, InsufficientStockError, ValidationError, ForbiddenError
)


ProductId = Annotated[strawberry.ID, strawberry.argument(description="The product's id.")]
NewProduct = Annotated[
    CreateProductInput,  # type: ignore[valid-type]  # a generated input
    strawberry.argument(description="The product."),
]


def _arguments(value: Any) -> dict[str, Any]:
    """An input's fields, with `category_id` decoded: any id that is not a Category's is
    not found. An explicit null stays, for the rules to refuse."""
    return provided(value, ids={"category_id": "Category"})


def _product(success: Callable[..., Any]) -> Callable[[ProductRow], Any]:
    return lambda row: success(product=Product(row))


def _edge(ctx: RequestContext, product: Product) -> Edge[Product]:
    return Edge(node=product, page=PRODUCT_READS.edge(ctx, product.row), index=0)


STANDARD = standard_fields(
    PRODUCTS,
    writes.RULES,
    create_input=CreateProductInput,
    patch_input=ProductPatch,
    texts={
        "Create": "Create a product in a live category.",
        "Delete": "Soft-delete a product; order lines keep showing it.",
        "DeleteSuccess": "The product was soft-deleted; order lines keep showing it.",
        "Restore": "Restore a soft-deleted product; its sku must be free and its category live.",
    },
)

BATCH = batch_of(PRODUCTS, writes.RULES, patch_input=ProductPatch)


@strawberry.type
class ProductMutations:
    create_product = STANDARD["create_product"]

    @strawberry.mutation(
        description=f"Create up to {writes.MAX_BATCH} products at once: all of them or none."
    )
    async def create_products(
        self,
        info: Info,
        inputs: Annotated[
            list[CreateProductInput],  # type: ignore[valid-type]  # a generated input
            strawberry.argument(description=f"The products, 1 to {writes.MAX_BATCH}."),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> CreateProductsResult:  # type: ignore[valid-type]
        async def work() -> list[ProductRow]:
            return await writes.create_products(
                info.context.unit_of_work(),
                inputs=[_arguments(item) for item in inputs],
                idempotency_key=idempotency_key,
            )

        def success(rows: list[ProductRow]) -> CreateProductsSuccess:
            made = [Product(row) for row in rows]
            edges = [_edge(info.context, product) for product in made]
            return CreateProductsSuccess(products=made, product_edges=edges)

        return await outcome(work(), success, result=CreateProductsResult)

    @strawberry.mutation(
        description="Create a product, or update the live product with the same sku."
    )
    async def upsert_product(
        self,
        info: Info,
        input: NewProduct,
        rev: Annotated[
            int | None,
            strawberry.argument(
                description="When given, an existing product is only updated at this revision."
            ),
        ] = None,
    ) -> UpsertProductResult:  # type: ignore[valid-type]
        async def work() -> writes.Upserted:
            return await writes.upsert_product(
                info.context.unit_of_work(), input=_arguments(input), rev=rev
            )

        def success(done: writes.Upserted) -> UpsertProductSuccess:
            product = Product(done.row)
            return UpsertProductSuccess(
                product=product, created=done.created, product_edge=_edge(info.context, product)
            )

        return await outcome(work(), success, result=UpsertProductResult)

    update_product = STANDARD["update_product"]

    @strawberry.mutation(
        description="Add to (or, negative, take from) a product's stock atomically; stock "
        "never goes below zero. Needs no revision, and bumps it."
    )
    async def adjust_stock(
        self,
        info: Info,
        id: ProductId,
        delta: Annotated[int, strawberry.argument(description="Units to add; negative removes.")],
    ) -> AdjustStockResult:  # type: ignore[valid-type]
        async def work() -> ProductRow:
            uuid = target(id, type_name="Product")
            return await writes.adjust_stock(info.context.unit_of_work(), id=uuid, delta=delta)

        return await outcome(work(), _product(AdjustStockSuccess), result=AdjustStockResult)

    delete_product = STANDARD["delete_product"]
    restore_product = STANDARD["restore_product"]
    update_products = BATCH["update_products"]
    delete_products = BATCH["delete_products"]


PART = Part(ProductQueries, ProductMutations, (Product,))
