"""The Strawberry `Info` our field functions receive: its context is the use-cases' own."""

from __future__ import annotations

from typing import TypeAlias

from strawberry.types import Info as _Info

from resolvers.context import RequestContext

Info: TypeAlias = _Info[RequestContext, None]
