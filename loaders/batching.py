"""How loaders batch: futures a cancelled caller cannot take from the others, batches
scheduled with little machinery, whole levels of keys read at once (`load_all`), and each
batch noted for whoever observes the request (`sql.observe`)."""

from __future__ import annotations

import asyncio
from asyncio import Future
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, MutableMapping, Sequence
from functools import partial
from itertools import filterfalse
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader, Loader

from sql.observe import Waiter, batch_of, current_waiter, sink
from sql.read_once import REPLAY_TURNS, reads_here

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLoader(DataLoader[K, V], Generic[K, V]):
    """A DataLoader whose futures survive a cancelled waiter, and that schedules its
    batches with less machinery than aiodataloader's.

    A loaded value's future is shared by every field that asks for that key, and asyncio
    cancels the future a cancelled task awaits: when graphql-core cancels the siblings of a
    failed field, a field of another branch waiting on the same key got `CancelledError`.
    Each caller awaits a future of its own instead (a done one is safe to share).

    aiodataloader schedules a batch through a task that only starts another task; two
    plain callbacks keep its window (the queue is taken two turns of the loop after the
    first key arrives) and the batch gets the one task it needs. A one-row read spent more
    in this machinery than in the rest of its loading."""

    _waiters: list[Waiter] | None = None  # who asked for keys of the batch to come (traced)

    def __init__(
        self,
        batch_load_fn: Callable[[list[K]], Awaitable[list[V]]] | None = None,
        *,
        cache_map: MutableMapping[Any, Future[V]] | None = None,
    ) -> None:
        # Not aiodataloader's constructor: every request makes its loaders, and that one
        # looks the loop up the slow way, inspects the batch function and makes a lambda.
        self.loop = asyncio.get_running_loop()
        if batch_load_fn is not None:
            self.batch_load_fn = batch_load_fn  # type: ignore[assignment]
        self._cache = cache_map if cache_map is not None else {}
        self._queue: list[Loader] = []

    def get_cache_key(self, key: K) -> K:
        return key

    def load(self, key: K) -> Future[V]:
        if key is None:
            raise TypeError("a loader's keys are never None")
        shared = self._cache.get(key)
        if shared is None:
            shared = self._cache[key] = self.loop.create_future()
            self._queue.append(Loader(key=key, future=shared))
            if len(self._queue) == 1:
                self.loop.call_soon(self.loop.call_soon, self._dispatch)
        if (waiter := current_waiter.get()) is not None and self._queue and not shared.done():
            # Its key in the batch to come (asked for now or earlier): it waits on that one.
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
        return _yours(shared)

    async def load_alone(self, key: K) -> V:
        """`load(key)` for a caller that nothing else in the request runs beside (the one
        root field of a query, looking one key up): no key can join its batch, and no other
        waiter can be left by its cancellation, so the batch runs in the caller's task,
        without the two turns of the loop, the task and the future a batch takes. A traced
        request (`current_waiter` set) takes `load`, whose batches its trace shows."""
        if key in self._cache or current_waiter.get() is not None:
            return await self.load(key)
        shared = self._cache[key] = self.loop.create_future()
        token = reads_here.set(True)
        try:
            (value,) = _one_each([key], await self.batch_load_fn([key]))
            if isinstance(value, Exception):  # a key that failed on its own
                raise value
        except Exception as error:
            # Kept, as a batch's are: graphql-core asking again must not read it again.
            shared.set_exception(error)
            shared.exception()  # raised to this caller; not unretrieved
            raise
        except BaseException:  # stopped (or closed): forgotten, asked again it is read again
            if self._cache.get(key) is shared:
                del self._cache[key]
            shared.cancel()
            raise
        finally:
            reads_here.reset(token)
        shared.set_result(value)
        return value

    def _dispatch(self) -> None:
        queue, self._queue = self._queue, []
        waiters, self._waiters = self._waiters, None
        self.loop.create_task(self._batch(queue, waiters))

    async def _batch(self, queue: list[Loader], waiters: list[Waiter] | None = None) -> None:
        try:
            values = await observed_batch(self, [item.key for item in queue], waiters)
        except Exception as error:
            # The keys keep their error for the rest of the request: asking again (graphql-
            # core after an abandoned compiled run) must not cost the database again.
            for item in queue:
                if not item.future.done():
                    item.future.set_exception(error)
                    item.future.exception()  # raised to every waiter; not unretrieved
            return
        for item, value in zip(queue, values, strict=True):
            if item.future.done():
                continue
            if isinstance(value, Exception):  # a key that failed on its own
                item.future.set_exception(value)
            else:
                item.future.set_result(value)


def _yours(shared: Future[V]) -> Future[V]:
    """A future of the caller's own that takes the shared one's outcome: cancelling it
    leaves the shared one, and everyone else waiting on it, alone. A value already loaded
    is returned as it is (it can no longer be cancelled); an error already met comes a few
    turns of the loop later, as `sql.read_once` replays one (see `REPLAY_TURNS`)."""
    own: Future[V]
    if shared.done():
        if shared.cancelled() or shared.exception() is None:
            return shared
        own = shared.get_loop().create_future()
        _after_turns(REPLAY_TURNS, partial(_pass_on, own, shared))
        return own
    own = shared.get_loop().create_future()
    shared.add_done_callback(partial(_pass_on, own))
    return own


def _after_turns(turns: int, callback: Callable[[], None]) -> None:
    if turns:
        asyncio.get_running_loop().call_soon(_after_turns, turns - 1, callback)
    else:
        callback()


def _pass_on(own: Future[V], shared: Future[V]) -> None:
    """A caller's own future gets the shared one's outcome, unless the caller gave up."""
    if own.done():
        return
    if shared.cancelled():
        own.cancel()
    elif (error := shared.exception()) is not None:
        own.set_exception(error)
    else:
        own.set_result(shared.result())


class KnownLoader(SharedLoader[K, V], Generic[K, V]):
    """A DataLoader whose cache `load_all` can read: what this request already asked for."""

    def __init__(self) -> None:
        self.known: dict[K, Future[V]] = {}
        super().__init__(cache_map=self.known)


async def load_all(loader: KnownLoader[K, V], keys: Sequence[K]) -> list[V]:
    """One value per key, in order, for keys that arrive together (all the parents of a
    level): each distinct key is read once, and those this request has not asked for yet
    in one batch that goes straight to the loader's batch function — queueing hundreds of
    keys one by one cost more than reading them. The batch's futures go into the loader's
    cache first, so a concurrent caller of the same keys waits for it instead of reading
    them again. A single key goes through the loader's queue instead, where the keys of
    parents resolved one at a time (graphql-core) gather into one batch."""
    distinct = list(dict.fromkeys(keys))
    if len(distinct) == 1:  # one parent at a time (graphql-core): batch through the queue
        return [await loader.load(distinct[0])] * len(keys)
    known = loader.known
    missing = list(filterfalse(known.__contains__, distinct))
    found: dict[K, V] = {}
    if missing:
        # Its own task, so that cancelling this caller leaves the batch to the others
        # waiting on its keys.
        waiter = current_waiter.get()
        waiters = None if waiter is None else [waiter]
        batch = asyncio.ensure_future(observed_batch(loader, missing, waiters))
        create = batch.get_loop().create_future
        futures = {key: create() for key in missing}
        known.update(futures)
        batch.add_done_callback(partial(_settle, known, futures))
        values: list[V] = await _yours(batch)
        found = dict(zip(missing, values, strict=True))
        if len(missing) == len(distinct):  # all read now: nothing to wait for
            return list(map(found.__getitem__, keys))
    for key in distinct:
        if key in found:
            continue
        shared = known.get(key)
        # None: forgotten meanwhile (a write cleared it), so read again.
        found[key] = await (loader.load(key) if shared is None else _yours(shared))
    return list(map(found.__getitem__, keys))


async def observed_batch(
    loader: DataLoader[K, V], keys: list[K], waiters: list[Waiter] | None = None
) -> list[V]:
    """`loader`'s batch function over `keys`, in a task of the batch's own; when someone
    watches (`sql.observe.sink`), the batch is noted with who waited on it (`waiters`, once
    each) and its statements point to it. What it sets for its reads ends with it, whoever
    awaits it."""
    here = reads_here.set(True)  # no waiter can cancel a batch: its reads need no task of their own
    try:
        if sink.get() is None:  # no one watches: no batch to note (the common case)
            return _one_each(keys, await loader.batch_load_fn(keys))
        with batch_of(partial(_name, loader), len(keys), waiters or ()):
            return _one_each(keys, await loader.batch_load_fn(keys))
    finally:
        reads_here.reset(here)


def _one_each(keys: list[K], values: Sequence[V]) -> list[V]:
    """A batch's values, one per key, or a TypeError for every key of the batch: a value
    missing would leave its key's waiters waiting forever."""
    values = list(values)
    if len(values) != len(keys):
        raise TypeError(f"a batch function gave {len(values)} values for {len(keys)} keys")
    return values


def _name(loader: DataLoader[Any, Any]) -> str:
    """What a batch reads, by the `sql/` function it calls: `products_by_ids`."""
    fetch = getattr(loader, "_fetch", None) or loader.batch_load_fn
    fetch = getattr(fetch, "func", fetch)  # a partial
    return str(getattr(fetch, "__name__", type(loader).__name__))


def _settle(known: dict[K, Future[V]], futures: dict[K, Future[V]], batch: Future[list[V]]) -> None:
    """Gives a direct batch's values to the futures waiting on its keys. A failed batch's
    keys keep its error, as the queue's do; a cancelled one's are forgotten, so a later
    load reads them."""
    if batch.cancelled():
        for key, future in futures.items():
            if known.get(key) is future:
                del known[key]
            future.cancel()
        return
    error = batch.exception()
    if error is not None:
        for future in futures.values():
            future.set_exception(error)
            future.exception()  # raised to the batch's own caller; not unretrieved
        return
    # Mapped in C, not a Python loop: a level settles hundreds of keys (as many values as
    # keys, `_one_each`).
    deque(map(Future.set_result, futures.values(), batch.result()), maxlen=0)
