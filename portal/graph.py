"""A thin Microsoft Graph client: the only code in the portal that speaks HTTP to Graph.

Every call goes through `GraphClient._send`, which adds the delegated token, a
timeout and a `client-request-id`, retries what is safe to retry within a time
budget, counts round trips, and turns failures into the small exception tree
below, keeping Graph's own code, message and request-id for support.

Callers catch meaning, not status codes:

    GraphError                 anything Graph or the network refused
      SignInRequired           the token is gone or rejected; send the person to sign in
      Forbidden                403: the signed-in person lacks a role (or the app a scope)
      NotFound                 404
      BadRequest               400/409/412/422: Graph rejected the request as invalid
      Throttled                429 that outlasted the retry budget (has retry_after)
      GraphUnavailable         5xx, timeouts and connection failures
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

logger = logging.getLogger(__name__)

BATCH_LIMIT = 20
BATCH_CONCURRENCY = 4
RETRYABLE_STATUSES = frozenset({429, 503, 504})
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Consistency level header needed by advanced queries ($count, $search, CSA filters).
EVENTUAL = {"ConsistencyLevel": "eventual"}


# Errors -------------------------------------------------------------------------------


class GraphError(Exception):
    """A failed Graph call, with Graph's own reason and the ids support will ask for."""

    advice = "Try again. If it keeps failing, give the request id to your administrator."

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        date: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.date = date
        # Set by callers that know which role would have allowed the call.
        self.needed: str | None = None

    def __str__(self) -> str:
        return f"{self.message} ({self.code})" if self.code else self.message


class SignInRequired(GraphError):
    advice = "Sign in again to continue."


class Forbidden(GraphError):
    advice = (
        "Your account lacks the Entra role for this. A Privileged Role Administrator "
        "can assign it, for the whole tenant or for one attribute set."
    )


class NotFound(GraphError):
    advice = "It may have been removed or renamed elsewhere. Reload to see the current state."


class BadRequest(GraphError):
    advice = "Correct the value Graph rejected and try again."


class Throttled(GraphError):
    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.advice = (
            f"Microsoft Graph is throttling requests. Wait {retry_after:.0f} seconds and try again."
        )


class GraphUnavailable(GraphError):
    advice = "Microsoft Graph did not answer in time. Try again in a minute."
    # For a write whose answer was lost: whether reading Graph again found it applied
    # (set by the audit log's settling; None when nobody could tell).
    applied: bool | None = None


_ERRORS_BY_STATUS: dict[int, type[GraphError]] = {
    400: BadRequest,
    401: SignInRequired,
    403: Forbidden,
    404: NotFound,
    409: BadRequest,
    412: BadRequest,
    422: BadRequest,
}


def error_from_response(response: requests.Response) -> GraphError:
    """Builds the typed error from Graph's envelope, tolerating bodies that are not JSON."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return _error_from(response.status_code, body, response.headers, response.reason or "")


def error_from_batch(answer: BatchResponse) -> GraphError:
    """The typed error of one item of a $batch, as error_from_response builds it."""
    return _error_from(answer.status, answer.body, answer.headers)


def _error_from(status: int, body: Any, headers: Mapping[str, str], reason: str = "") -> GraphError:
    envelope = body.get("error") if isinstance(body, dict) else None
    envelope = envelope if isinstance(envelope, dict) else {}
    code = str(envelope.get("code") or "")
    message = str(envelope.get("message") or "")
    inner = envelope.get("innerError") or envelope.get("innererror") or {}
    inner = inner if isinstance(inner, dict) else {}
    lowered = {k.lower(): v for k, v in headers.items()}
    kwargs: dict[str, Any] = {
        "code": code,
        "status": status,
        "request_id": inner.get("request-id") or lowered.get("request-id"),
        "client_request_id": inner.get("client-request-id") or lowered.get("client-request-id"),
        "date": inner.get("date"),
    }
    message = message or f"Microsoft Graph answered {status} {reason}".strip()
    if status == 429:
        return Throttled(message, retry_after=retry_after_seconds(headers) or 0.0, **kwargs)
    if status >= 500:
        return GraphUnavailable(message, **kwargs)
    return _ERRORS_BY_STATUS.get(status, GraphError)(message, **kwargs)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds; Graph sends a number (sometimes fractional) or an HTTP date.

    Takes a response's headers or a `$batch` item's, whose names come in any case.
    """
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# OData helpers ------------------------------------------------------------------------

# \Z, not $: $ also matches before a final line break, which would let "id\n" through.
_SEGMENT = re.compile(r"^[^/\\?#\x00-\x1f]{1,256}\Z")


def odata_string(value: str) -> str:
    """A quoted OData string literal: single quotes are doubled, as OData requires."""
    return "'" + value.replace("'", "''") + "'"


def odata_key(value: str) -> str:
    """A string key inside a path segment, as in `servicePrincipals(appId=…)`: the quoted
    literal, percent-encoded, so that nothing in it (`/`, `?`, `#`, or an encoded `%2e`
    that a server would decode again) can end the segment or start a query."""
    return quote(odata_string(value), safe="'")


class InvalidIdentifier(ValueError):
    """Input that cannot be a Graph URL path segment; refused before any call is made."""


def segment(value: str) -> str:
    """One URL path segment from untrusted input (an id, a UPN or an attribute name).

    Dot segments and separators are refused rather than encoded: a server or proxy may
    normalise `..` away and act on another path than the one meant.
    """
    if not _SEGMENT.match(value) or value in {".", ".."}:
        raise InvalidIdentifier(
            f"{value!r} cannot be used as an identifier in an address: it is empty, a dot "
            "segment, or holds /, \\, ?, # or a control character."
        )
    return quote(value, safe="@:")


# Round trips --------------------------------------------------------------------------


@dataclass
class RoundTrips:
    """Graph round trips made within one request cycle (or job step), with the request-id
    of each answer, for the request's summary log line (portal.middleware)."""

    count: int = 0
    seconds: float = 0.0
    request_ids: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, seconds: float, request_id: str | None = None) -> None:
        with self._lock:
            self.count += 1
            self.seconds += seconds
            if request_id:
                self.request_ids.append(request_id)


_round_trips: contextvars.ContextVar[RoundTrips | None] = contextvars.ContextVar(
    "graph_round_trips", default=None
)


@contextlib.contextmanager
def counting_round_trips() -> Iterator[RoundTrips]:
    """Counts round trips within the block; inside a request's count, it adds to that one."""
    outer = _round_trips.get()
    if outer is not None:
        start = outer.count
        counter = RoundTrips()
        try:
            yield counter
        finally:
            counter.count = outer.count - start
        return
    counter = RoundTrips()
    reset = _round_trips.set(counter)
    try:
        yield counter
    finally:
        _round_trips.reset(reset)


# The client ---------------------------------------------------------------------------


class TokenProvider(Protocol):
    def __call__(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True)
class Written:
    """Graph's answer to one write, for the audit record of exactly that write.

    `status` is None when the answer was lost and the object was then found by re-reading
    it: the write happened, but no answer (and so no request-id) came back for it.
    """

    status: int | None
    request_id: str | None
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_link: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class BatchRequest:
    id: str
    method: str
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            item["body"] = self.body
            headers.setdefault("Content-Type", "application/json")
        if headers:
            item["headers"] = headers
        if self.depends_on:
            item["dependsOn"] = list(self.depends_on)
        return item


@dataclass(frozen=True)
class BatchResponse:
    id: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # The request-id of the $batch that carried it: inner answers often have none of their own.
    batch_request_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "request-id"), None)


class GraphClient:
    """Calls Microsoft Graph with the signed-in person's delegated token."""

    def __init__(
        self,
        *,
        session: requests.Session,
        token_provider: TokenProvider,
        base_url: str,
        retry_budget: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_writes: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.token_provider = token_provider
        self.base_url = base_url.rstrip("/")
        self.retry_budget = retry_budget
        self._sleep = sleep
        self._clock = clock
        # Told how many writes Graph counted against its quota (all but throttled ones).
        self._on_writes = on_writes

    # Reads ----------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        version: str = "v1.0",
    ) -> dict[str, Any]:
        data: dict[str, Any] = self._send(
            "GET", self._url(path, version), params=params, headers=headers
        ).json()
        return data

    def get_or_none(self, path: str, *, version: str = "v1.0") -> dict[str, Any] | None:
        """GET one object, or None when Graph answers that it does not exist (404)."""
        try:
            return self.get(path, version=version)
        except NotFound:
            return None

    def page(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        version: str = "v1.0",
        next_link: str | None = None,
    ) -> Page:
        """One page of a collection; pass `next_link` from the previous page to go on."""
        if next_link:
            url = self._checked_next_link(next_link)
            params = None
        else:
            url = self._url(path, version)
        data = self._send("GET", url, params=params, headers=headers).json()
        return Page(
            items=list(data.get("value", [])),
            next_link=data.get("@odata.nextLink"),
            count=data.get("@odata.count"),
        )

    def pages(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        version: str = "v1.0",
    ) -> Iterator[Page]:
        """Every page of a collection, in order, following @odata.nextLink (headers are
        re-sent).

        Each page's link is read off its raw body before the body is parsed, and a second
        thread requests the next page at once: parsing a page, and whatever the caller does
        with it, overlap the wait for the next, so P pages cost about P round trips back
        to back. At most three pages are held: the caller's, one waiting, one arriving.
        """
        response = self._send("GET", self._url(path, version), params=params, headers=headers)
        link = _next_link_in(response.content)
        if link is None:
            yield _parsed_page(response.content, None)
            return
        ahead = _PagesAhead(self, link, headers)
        try:
            yield _parsed_page(response.content, link)
            yield from ahead
        finally:
            ahead.stop()

    def iterate(
        self,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        version: str = "v1.0",
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink (headers are re-sent)."""
        for page in self.pages(path, params=params, headers=headers, version=version):
            yield from page.items

    # Writes ---------------------------------------------------------------------------

    def create(
        self,
        path: str,
        body: dict[str, Any],
        *,
        find_existing: Callable[[], dict[str, Any] | None],
        version: str = "v1.0",
    ) -> Written:
        """POSTs a new object without ever creating it twice.

        A POST that timed out or got a 5xx may still have been applied, so before trying
        again the client asks `find_existing` (a re-read) whether the object is there.
        If it is, the write is reported without a request-id: the re-read's is not the
        write's, and the write's own answer never arrived.
        """
        url = self._url(path, version)
        deadline = self._clock() + self.retry_budget
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send("POST", url, json=body, idempotent=False)
            except GraphUnavailable:
                existing = find_existing()
                if existing is not None:
                    logger.info("graph POST %s was applied despite the error", path)
                    return Written(status=None, request_id=None, body=existing)
                if not self._wait(_backoff(attempt), deadline):
                    raise
                continue
            return _written(response)

    def patch(
        self,
        path: str,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        version: str = "v1.0",
    ) -> Written:
        """PATCH sets properties to given values, so repeating it changes nothing more."""
        return _written(self._send("PATCH", self._url(path, version), json=body, headers=headers))

    def batch(
        self,
        requests_: Sequence[BatchRequest],
        *,
        version: str = "v1.0",
        concurrency: int = BATCH_CONCURRENCY,
        resend: bool = True,
    ) -> dict[str, BatchResponse]:
        """Runs requests through $batch, 20 at a time, `concurrency` batches at once.

        Items that were throttled or hit a transient failure (and the items that depend on
        them) are sent again after the longest Retry-After, within the retry budget; with
        `resend` off they come back as Graph answered them, for the caller to schedule.
        """
        deadline = self._clock() + self.retry_budget
        token = self.token_provider()
        url = self._url("/$batch", version)
        pending = list(requests_)
        results: dict[str, BatchResponse] = {}
        attempt = 0
        while pending:
            attempt += 1
            chunks = _chunks_keeping_dependencies(pending)
            with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(chunks)))) as pool:
                # Each thread runs in a copy of this context, so round trips are counted.
                futures = [
                    pool.submit(
                        contextvars.copy_context().run, self._send_batch, url, chunk, token, resend
                    )
                    for chunk in chunks
                ]
                for future in futures:
                    results.update(future.result())
            retry = _items_to_retry(pending, results)
            if not retry or not resend:
                break
            wait = max(
                (retry_after_seconds(results[item.id].headers) or 0.0 for item in retry),
                default=0.0,
            )
            if not self._wait(wait or _backoff(attempt), deadline):
                break
            pending = retry
        return results

    # Plumbing -------------------------------------------------------------------------

    def _send_batch_once(
        self, url: str, chunk: list[BatchRequest], body: dict[str, Any], token: str
    ) -> dict[str, BatchResponse]:
        """One try: the caller decides what goes again. A lost answer is not sent blindly a
        second time (its writes may have happened), and a batch Graph refused whole comes
        back as that refusal on each of its items, so the other batches' answers stand."""
        try:
            response = self._send("POST", url, json=body, token=token, budget=0.0)
            return self._batch_answers(response, chunk)
        except SignInRequired:
            raise
        except GraphError as error:
            headers = (
                {"Retry-After": f"{error.retry_after:g}"} if isinstance(error, Throttled) else {}
            )
            envelope = {"error": {"code": error.code, "message": error.message}}
            return {
                item.id: BatchResponse(
                    id=item.id,
                    status=error.status or 503,
                    body=envelope,
                    headers=headers,
                    batch_request_id=error.request_id,
                )
                for item in chunk
            }

    def _send_batch(
        self, url: str, chunk: list[BatchRequest], token: str, resend: bool = True
    ) -> dict[str, BatchResponse]:
        body = {"requests": [item.as_json() for item in chunk]}
        if not resend:
            return self._send_batch_once(url, chunk, body, token)
        return self._batch_answers(self._send("POST", url, json=body, token=token), chunk)

    def _batch_answers(
        self, response: requests.Response, chunk: list[BatchRequest]
    ) -> dict[str, BatchResponse]:
        answers = {}
        for item in response.json().get("responses", []):
            answers[str(item["id"])] = BatchResponse(
                id=str(item["id"]),
                status=int(item["status"]),
                body=item.get("body"),
                headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
                batch_request_id=response.headers.get("request-id"),
            )
        methods = {item.id: item.method for item in chunk}
        self._wrote(
            sum(
                1
                for answer in answers.values()
                if methods.get(answer.id) in WRITE_METHODS and answer.status != 429
            )
        )
        return answers

    def _url(self, path: str, version: str) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"{self.base_url}/{version}{path}"

    def _checked_next_link(self, next_link: str) -> str:
        # The token goes wherever the link points, so only follow links back to Graph.
        if not next_link.startswith(self.base_url + "/"):
            raise GraphError(
                "Microsoft Graph returned a next-page link to another host; it was not followed.",
                code="UnexpectedNextLink",
            )
        return next_link

    def _wait(self, seconds: float, deadline: float) -> bool:
        """Sleeps if the wait fits the budget; says whether it did."""
        if self._clock() + seconds > deadline:
            return False
        self._sleep(seconds)
        return True

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
        token: str | None = None,
        budget: float | None = None,
    ) -> requests.Response:
        """`budget` (seconds) replaces the client's retry budget for this call."""
        deadline = self._clock() + (self.retry_budget if budget is None else budget)
        client_request_id = str(uuid.uuid4())
        force_refresh = False
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            access_token = (
                token
                if token and not force_refresh
                else self.token_provider(force_refresh=force_refresh)
            )
            request_headers = {
                "Authorization": f"Bearer {access_token}",
                "client-request-id": client_request_id,
                "Accept": "application/json",
                **(headers or {}),
            }
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method, url, params=params, json=json, headers=request_headers
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                self._count(started)
                logger.warning("graph %s %s failed: %s", method, _path(url), type(exc).__name__)
                # A write whose answer was lost may have been applied: sending it again
                # would write twice, so the caller re-reads Graph instead (the audit log's
                # applied check). A write that never left is safe to send again.
                resend = idempotent and (method not in WRITE_METHODS or _never_sent(exc))
                if resend and self._wait(_backoff(attempt), deadline):
                    continue
                raise GraphUnavailable(
                    "Microsoft Graph could not be reached or did not answer in time.",
                    code=type(exc).__name__,
                    client_request_id=client_request_id,
                ) from None
            self._count(started, response.headers.get("request-id"))
            status = response.status_code
            if method in WRITE_METHODS and status != 429 and not url.endswith("/$batch"):
                self._wrote(1)
            logger.info(
                "graph %s %s -> %s in %.0f ms (request-id %s)",
                method,
                _path(url),
                status,
                (time.perf_counter() - started) * 1000,
                response.headers.get("request-id", "-"),
            )
            if status < 400:
                return response
            if status == 401 and not refreshed:
                # An access token can be revoked or expire early (continuous access
                # evaluation); one forced refresh tells that apart from a dead session.
                refreshed = force_refresh = True
                continue
            if self._should_retry(status, idempotent):
                wait = retry_after_seconds(response.headers)
                if self._wait(_backoff(attempt) if wait is None else wait, deadline):
                    continue
            raise error_from_response(response)

    @staticmethod
    def _should_retry(status: int, idempotent: bool) -> bool:
        # A 429 was refused before any work was done, so even a create may be repeated.
        if status == 429:
            return True
        return idempotent and (status in RETRYABLE_STATUSES or status in {500, 502})

    def _wrote(self, count: int) -> None:
        if self._on_writes is not None and count:
            self._on_writes(count)

    @staticmethod
    def _count(started: float, request_id: str | None = None) -> None:
        counter = _round_trips.get()
        if counter is not None:
            counter.add(time.perf_counter() - started, request_id)


# A key can only be followed by `":` outside a string: inside one, the quote is escaped.
_NEXT_LINK_KEY = re.compile(rb'"@odata\.nextLink"\s*:\s*')
_LINK_READ_LIMIT = 16_384


def _next_link_in(content: bytes) -> str | None:
    """A page's @odata.nextLink, found without parsing the whole body."""
    match = _NEXT_LINK_KEY.search(content)
    if match is None:
        return None
    head = content[match.end() : match.end() + _LINK_READ_LIMIT].decode("utf-8", "replace")
    try:
        link, _ = json.JSONDecoder().raw_decode(head)
    except ValueError:  # longer than the limit: parse it all after all
        link = json.loads(content).get("@odata.nextLink")
    return link if isinstance(link, str) else None


def _parsed_page(content: bytes, link: str | None) -> Page:
    data = json.loads(content)
    if data.get("@odata.nextLink") != link:
        raise GraphError(
            "Microsoft Graph's next-page link could not be read ahead; nothing was skipped.",
            code="UnexpectedNextLink",
        )
    return Page(items=list(data.get("value", [])), next_link=link, count=data.get("@odata.count"))


class _PagesAhead:
    """The pages after the first, requested one after another on a thread of their own
    while the reader works; a failure is raised to the reader in the page's place."""

    _DONE = object()

    def __init__(self, graph: GraphClient, link: str, headers: dict[str, str] | None) -> None:
        self._graph, self._headers = graph, headers
        self._arrived: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stopped = threading.Event()
        context = contextvars.copy_context()  # round-trip counting and the request id
        thread = threading.Thread(
            target=context.run, args=(self._fetch, link), name="graph-pages-ahead", daemon=True
        )
        thread.start()

    def _fetch(self, link: str | None) -> None:
        # Once the reader has stopped, at most one more item is put, into the room its
        # stop() made: nothing blocks for ever.
        try:
            while link:
                if self._stopped.is_set():
                    return
                url = self._graph._checked_next_link(link)
                content = self._graph._send("GET", url, headers=self._headers).content
                following = _next_link_in(content)
                self._arrived.put((content, following))
                link = following
            self._arrived.put(self._DONE)
        except Exception as exc:
            self._arrived.put(exc)

    def __iter__(self) -> Iterator[Page]:
        while (item := self._arrived.get()) is not self._DONE:
            if isinstance(item, Exception):
                raise item
            yield _parsed_page(*item)

    def stop(self) -> None:
        """The reader is done: let a fetch blocked on the full queue finish, and go no
        further than the page already on its way."""
        self._stopped.set()
        with contextlib.suppress(queue.Empty):
            self._arrived.get_nowait()


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether a failed request certainly never reached Graph: the connection itself could
    not be made (refused, unresolvable, or timed out while connecting)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _backoff(attempt: int) -> float:
    return min(8.0, 0.25 * 2.0 ** (attempt - 1))


def _path(url: str) -> str:
    # Paths only: query strings can hold attribute values, which are sensitive.
    return url.split("?", 1)[0]


def _written(response: requests.Response) -> Written:
    body = response.json() if response.content else {}
    return Written(
        status=response.status_code,
        request_id=response.headers.get("request-id"),
        body=body if isinstance(body, dict) else {},
    )


def _chunks_keeping_dependencies(items: list[BatchRequest]) -> list[list[BatchRequest]]:
    """Groups of at most 20; an item goes in the same group as what it depends on."""
    chunks: list[list[BatchRequest]] = []
    chunk_of: dict[str, int] = {}
    for item in items:
        dependencies = [chunk_of[d] for d in item.depends_on if d in chunk_of]
        if dependencies:
            target = dependencies[0]
            if len(chunks[target]) >= BATCH_LIMIT:
                raise GraphError(
                    "Requests that depend on each other do not fit in one $batch of 20.",
                    code="BatchTooLarge",
                )
        else:
            if not chunks or len(chunks[-1]) >= BATCH_LIMIT:
                chunks.append([])
            target = len(chunks) - 1
        chunks[target].append(item)
        chunk_of[item.id] = target
    return chunks


def _items_to_retry(
    items: list[BatchRequest], results: dict[str, BatchResponse]
) -> list[BatchRequest]:
    failed = {
        item.id
        for item in items
        if item.id not in results or results[item.id].status in RETRYABLE_STATUSES
    }
    # Dependants of a retried item failed with 424 and must go again with it.
    return [
        item
        for item in items
        if item.id in failed
        or (results[item.id].status == 424 and any(d in failed for d in item.depends_on))
    ]
