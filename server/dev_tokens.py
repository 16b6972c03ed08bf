"""Ready-made bearer tokens for development: one for staff, one for the demo customer.

Only with `STOREFRONT_ENV=development` and an HS256 secret: `storefront serve` logs them at
start-up and GraphiQL's example tabs carry them. Production never mints them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from engine.auth import mint
from server.settings import Environment, Settings
from server.tokens import signing_secret
from sql.demo import DemoCustomer, demo_customer
from sql.pool import Executor, connect

log = logging.getLogger("storefront")

DEV_TOKEN_TTL_SECONDS = 7 * 86400


@dataclass(frozen=True, slots=True)
class DevTokens:
    staff: str
    customer: str | None  # None when the database holds no customer
    demo_customer: DemoCustomer | None


def mint_dev_tokens(
    settings: Settings, customer: DemoCustomer | None, *, now: float | None = None
) -> DevTokens | None:
    """None in production, and when tokens are verified with public keys only (nothing
    here could sign one)."""
    if settings.env is not Environment.DEVELOPMENT:
        return None
    secret = signing_secret(settings)
    if secret is None:
        return None
    now = time.time() if now is None else now

    def token(role: str, subject: str | None) -> str:
        return mint(
            secret=secret, role=role, customer=subject, ttl_seconds=DEV_TOKEN_TTL_SECONDS, now=now
        )

    return DevTokens(
        staff=token("staff", None),
        customer=None if customer is None else token("customer", str(customer.id)),
        demo_customer=customer,
    )


async def dev_tokens(settings: Settings, executor: Executor) -> DevTokens | None:
    if settings.env is not Environment.DEVELOPMENT:
        return None  # not even the lookup
    return mint_dev_tokens(settings, await demo_customer(executor))


async def log_dev_tokens(settings: Settings, url: str) -> None:
    """The start-up lines that hand a developer both tokens."""
    if settings.env is not Environment.DEVELOPMENT:
        return
    async with connect(url) as conn:
        tokens = await dev_tokens(settings, conn)
    if tokens is None:
        log.info("no development tokens: tokens are verified with public keys only")
        return
    days = DEV_TOKEN_TTL_SECONDS // 86400
    log.info("development token, staff (%d days): Authorization: Bearer %s", days, tokens.staff)
    customer = tokens.demo_customer
    if customer is None or tokens.customer is None:
        log.info("no development token for a customer: the database holds no customer")
        return
    log.info(
        "development token, customer %s <%s> with %d orders (%d days): Authorization: Bearer %s",
        customer.name,
        customer.email,
        customer.order_count,
        days,
        tokens.customer,
    )
