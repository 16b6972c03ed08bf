-- The whole store domain: customers, categories, products, orders and their lines.
-- Every document carries rev (optimistic concurrency, starts at 1) and timestamps; deletes are
-- soft (deleted_at), so uniqueness holds only among live rows. Constraint and index names are
-- explicit because the application maps them to domain errors by name.

CREATE TYPE order_status AS ENUM ('PENDING', 'PAID', 'SHIPPED', 'CANCELLED');

CREATE TABLE customers (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    rev         integer     NOT NULL DEFAULT 1,
    email       text        NOT NULL,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_rev_check CHECK (rev >= 1),
    CONSTRAINT customers_email_check CHECK (email <> '' AND length(email) <= 254),
    CONSTRAINT customers_name_check CHECK (name <> '' AND length(name) <= 200)
);
-- Emails compare case-insensitively: Ann@x.org and ann@x.org are one customer.
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX customers_name_idx ON customers (name, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_email_idx ON customers (email, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_created_at_idx ON customers (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE categories (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    rev         integer     NOT NULL DEFAULT 1,
    name        text        NOT NULL,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT categories_pkey PRIMARY KEY (id),
    CONSTRAINT categories_rev_check CHECK (rev >= 1),
    CONSTRAINT categories_name_check CHECK (name <> '' AND length(name) <= 200),
    CONSTRAINT categories_description_check CHECK (length(description) <= 10000)
);
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX categories_name_idx ON categories (name, id) WHERE deleted_at IS NULL;
CREATE INDEX categories_created_at_idx ON categories (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE products (
    id          uuid          NOT NULL DEFAULT gen_random_uuid(),
    rev         integer       NOT NULL DEFAULT 1,
    sku         text          NOT NULL,
    name        text          NOT NULL,
    description text,
    price       numeric(12,2) NOT NULL,
    stock       integer       NOT NULL DEFAULT 0,
    category_id uuid          NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    -- Ranked full-text search over name (weight A) and description (weight B).
    search      tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', name), 'A')
                    || setweight(to_tsvector('english', coalesce(description, '')), 'B')
                ) STORED,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_rev_check CHECK (rev >= 1),
    CONSTRAINT products_sku_check CHECK (sku ~ '^[A-Z0-9-]{3,32}$'),
    CONSTRAINT products_name_check CHECK (name <> '' AND length(name) <= 200),
    CONSTRAINT products_description_check CHECK (length(description) <= 10000),
    CONSTRAINT products_price_check CHECK (price >= 0),
    CONSTRAINT products_stock_check CHECK (stock >= 0),
    CONSTRAINT products_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories (id)
);
CREATE UNIQUE INDEX products_sku_key ON products (sku) WHERE deleted_at IS NULL;
CREATE INDEX products_category_id_idx ON products (category_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX products_category_id_fkey_idx ON products (category_id);
CREATE INDEX products_name_idx ON products (name, id) WHERE deleted_at IS NULL;
CREATE INDEX products_sku_idx ON products (sku, id) WHERE deleted_at IS NULL;
CREATE INDEX products_price_idx ON products (price, id) WHERE deleted_at IS NULL;
CREATE INDEX products_stock_idx ON products (stock, id) WHERE deleted_at IS NULL;
CREATE INDEX products_created_at_idx ON products (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_updated_at_idx ON products (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_search_idx ON products USING gin (search);

CREATE SEQUENCE orders_number_seq AS integer START WITH 1001;

CREATE TABLE orders (
    id           uuid          NOT NULL DEFAULT gen_random_uuid(),
    rev          integer       NOT NULL DEFAULT 1,
    number       integer       NOT NULL DEFAULT nextval('orders_number_seq'),
    status       order_status  NOT NULL DEFAULT 'PENDING',
    customer_id  uuid          NOT NULL,
    total        numeric(12,2) NOT NULL DEFAULT 0,
    placed_at    timestamptz   NOT NULL DEFAULT now(),
    paid_at      timestamptz,
    shipped_at   timestamptz,
    cancelled_at timestamptz,
    created_at   timestamptz   NOT NULL DEFAULT now(),
    updated_at   timestamptz   NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_number_key UNIQUE (number),
    CONSTRAINT orders_rev_check CHECK (rev >= 1),
    CONSTRAINT orders_total_check CHECK (total >= 0),
    -- Each status has exactly the timestamps of the path that reached it.
    CONSTRAINT orders_status_timestamps_check CHECK (
        CASE status
            WHEN 'PENDING' THEN paid_at IS NULL AND shipped_at IS NULL AND cancelled_at IS NULL
            WHEN 'PAID' THEN paid_at IS NOT NULL AND shipped_at IS NULL AND cancelled_at IS NULL
            WHEN 'SHIPPED' THEN paid_at IS NOT NULL AND shipped_at IS NOT NULL
                                AND cancelled_at IS NULL
            WHEN 'CANCELLED' THEN cancelled_at IS NOT NULL AND shipped_at IS NULL
        END
    ),
    CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id)
);
ALTER SEQUENCE orders_number_seq OWNED BY orders.number;
CREATE INDEX orders_customer_id_idx ON orders (customer_id, placed_at, id);
CREATE INDEX orders_total_idx ON orders (total, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_placed_at_idx ON orders (placed_at, id) WHERE deleted_at IS NULL;
CREATE INDEX orders_status_idx ON orders (status, id) WHERE deleted_at IS NULL;

CREATE TABLE order_lines (
    id         uuid          NOT NULL DEFAULT gen_random_uuid(),
    order_id   uuid          NOT NULL,
    position   smallint      NOT NULL,
    product_id uuid          NOT NULL,
    quantity   integer       NOT NULL,
    unit_price numeric(12,2) NOT NULL,
    created_at timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT order_lines_pkey PRIMARY KEY (id),
    CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
    CONSTRAINT order_lines_unit_price_check CHECK (unit_price >= 0),
    CONSTRAINT order_lines_order_position_key UNIQUE (order_id, position),
    CONSTRAINT order_lines_order_product_key UNIQUE (order_id, product_id),
    CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_lines_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id)
);
CREATE INDEX order_lines_product_id_idx ON order_lines (product_id);
