-- Product reviews: a customer's rating (1-5) of a product, with a title and a body. Soft
-- deleted like every document; one live review per customer and product.

CREATE TABLE reviews (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    rev         integer     NOT NULL DEFAULT 1,
    product_id  uuid        NOT NULL,
    customer_id uuid        NOT NULL,
    rating      smallint    NOT NULL,
    title       text        NOT NULL,
    body        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT reviews_pkey PRIMARY KEY (id),
    CONSTRAINT reviews_rev_check CHECK (rev >= 1),
    CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT reviews_title_check CHECK (title <> '' AND length(title) <= 200),
    CONSTRAINT reviews_body_check CHECK (length(body) <= 10000),
    CONSTRAINT reviews_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT reviews_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE UNIQUE INDEX reviews_product_id_key ON reviews (product_id, customer_id)
    WHERE deleted_at IS NULL;
CREATE INDEX reviews_customer_id_idx ON reviews (customer_id);
CREATE INDEX reviews_product_id_idx ON reviews (product_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_rating_idx ON reviews (rating, id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_created_at_idx ON reviews (created_at, id) WHERE deleted_at IS NULL;

-- Every write of a review enters the change feed; reviews are public, so the event's owner
-- is recorded but does not restrict who sees it.
CREATE TRIGGER reviews_record_change AFTER INSERT OR UPDATE ON reviews
    FOR EACH ROW EXECUTE FUNCTION record_change('customer_id');
