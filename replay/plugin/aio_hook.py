"""Where the replayer meets aiobotocore (and so aioboto3): the same hook, asynchronous responses.

``aiobotocore.session.AioSession.create_client`` returns an async context manager; once
:func:`replay.plugin.botocore_hook.install` ran (it patches ``aiobotocore.session`` when that is
first imported, so loading the plugin never imports aiobotocore), the client it yields carries
the same ``before-send`` handler as a botocore client, asking the same responder. aiobotocore
emits events asynchronously but takes a plain handler's return value as it is; the recorded
``AWSResponse`` is handed over as an ``AioAWSResponse`` (:func:`aio_response`) whose ``raw``
reads like an ``aiohttp.ClientResponse``: ``await raw.read()``, and ``raw.content`` with
``read``, ``readany``, ``at_eof``, ``iter_chunks``, ``iter_chunked`` and ``iter_any``. So
parsed responses, error responses and streaming bodies (``await resp["Body"].read()``,
``async for chunk in resp["Body"]``) behave as they do over the network.

Recording needs nothing here: vcrpy patches aiohttp, which aiobotocore sends through, and
:func:`replay.record.capture.capture_exchanges` records it as it does botocore's traffic.

Example::

    install()
    with serving(responder):
        async with aiobotocore.session.get_session().create_client("sagemaker") as sm:
            await sm.describe_auto_ml_job(AutoMLJobName="my-job")
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from types import ModuleType, TracebackType
from typing import Any

from replay.plugin.botocore_hook import hook_client, patch_create_client


class HookedClientContext:
    """What a patched ``AioSession.create_client`` returns: aiobotocore's own context manager,
    whose client is hooked as it is entered."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aenter__(self) -> Any:
        return hook_client(await self._inner.__aenter__(), convert=aio_response)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> Any:
        return await self._inner.__aexit__(exc_type, exc, tb)

    def __getattr__(self, name: str) -> Any:  # anything else aiobotocore's context offers
        return getattr(self._inner, name)


def patch_aio_session_class(module: ModuleType) -> None:
    """Patch ``module.AioSession.create_client`` (``module``: ``aiobotocore.session``)."""
    patch_create_client(module.AioSession, HookedClientContext)


# --------------------------------------------------------------------------------- responses


class AioStream:
    """A recorded body read the way aiobotocore reads ``aiohttp.StreamReader``."""

    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)
        self._size = len(body)

    def at_eof(self) -> bool:
        return self._body.tell() >= self._size

    async def read(self, n: int = -1) -> bytes:
        return self._body.read(n if n is not None and n >= 0 else -1)

    async def readany(self) -> bytes:
        return self._body.read(65536)

    async def readexactly(self, n: int) -> bytes:
        data = self._body.read(n)
        if len(data) < n:
            raise EOFError(f"expected {n} bytes, {len(data)} left")
        return data

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """``(chunk, end of an HTTP chunk)`` pairs, as aiohttp yields them."""
        while chunk := self._body.read(65536):
            yield chunk, True

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        while chunk := self._body.read(n):
            yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        while chunk := self._body.read(65536):
            yield chunk


class AioRawResponse:
    """What aiobotocore keeps as ``AioAWSResponse.raw``: an ``aiohttp.ClientResponse`` stand-in
    over a recorded body."""

    def __init__(self, url: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.url = url
        self.status = status
        self.headers = headers
        self.content = AioStream(body)
        self._read: bytes | None = None
        self.closed = False

    async def read(self) -> bytes:
        """The whole body (what is left of it after ``content`` reads), cached like aiohttp."""
        if self._read is None:
            self._read = await self.content.read()
        return self._read

    async def text(self, encoding: str = "utf-8") -> str:
        return (await self.read()).decode(encoding)

    def close(self) -> None:
        self.closed = True

    def release(self) -> None:
        self.closed = True


def aio_response(response: Any) -> Any:
    """An ``AWSResponse`` (:func:`replay.plugin.botocore_hook.aws_response`) as the
    ``AioAWSResponse`` aiobotocore would have built from aiohttp's response."""
    from aiobotocore.awsrequest import AioAWSResponse

    raw = response.raw
    body = raw.getvalue() if isinstance(raw, io.BytesIO) else bytes(response.content)
    headers = dict(response.headers.items())
    return AioAWSResponse(response.url, response.status_code, headers,
                          AioRawResponse(response.url, response.status_code, headers, body))
