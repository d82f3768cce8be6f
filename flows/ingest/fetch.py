"""HTTP (and own-config local file) fetching that turns every failure into a classified FetchError.

A run must survive any one source misbehaving: timeouts, error codes, endless or huge bodies and
redirect loops become a `FetchedDocument.error`, never an exception.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import pathlib
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from flows.ingest.guard import PRIVATE_OK, BlockedAddress, GuardedTransport, address_problem, deadline, literal_ip
from flows.settings import default_of
from flows.stopping import Stop
from parsers.config.sources import HostSettings
from parsers.models import FetchedDocument, FetchError
from parsers.urls import redact

TRANSIENT_STATUSES = frozenset({408, 425, 429})
MIN_SECRET_CHARS = 6  # usernames at least this long are treated as tokens and scrubbed


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch; small in tests, generous in production."""

    connect_timeout: float = default_of("connect_timeout")
    read_timeout: float = default_of("read_timeout")
    total_timeout: float = default_of("total_timeout")
    max_bytes: int = default_of("max_bytes")
    max_redirects: int = 5
    user_agent: str = "treatywatch/0.1 (+https://github.com/treatywatch/treatywatch)"


@dataclass
class HostLimiter:
    """Per-host manners across all threads of a run: requests in flight, spacing, timeout, User-Agent.

    At most `per_host` requests in flight to one host (host:port) unless `hosts` says otherwise for
    that host, which may also space request starts by `min_interval` seconds and give it its own
    total timeout and User-Agent. Built per run and passed in (no module state), so chunks of one
    host in different tasks still share the limit.
    """

    per_host: int = 4
    hosts: Mapping[str, HostSettings] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _locks: dict[str, threading.BoundedSemaphore] = field(default_factory=dict, repr=False)
    _next_start: dict[str, float] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def settings(self, host: str) -> HostSettings | None:
        """The host's own settings; `www.` and a port fall back to the bare host name."""
        bare = host.split(":", 1)[0]
        return self.hosts.get(host) or self.hosts.get(bare) or self.hosts.get(bare.removeprefix("www."))

    def _semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._guard:
            if host not in self._locks:
                own = self.settings(host)
                size = own.concurrency if own and own.concurrency else self.per_host
                self._locks[host] = threading.BoundedSemaphore(max(1, size))
            return self._locks[host]

    def _pace(self, host: str) -> None:
        """Wait until `min_interval` after the previous request start to this host (reserved under lock)."""
        own = self.settings(host)
        if not own or own.min_interval <= 0:
            return
        with self._guard:
            now = self.clock()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + own.min_interval
        if start > now:
            self.sleep(start - now)

    def policy(self, url: str, policy: FetchPolicy) -> FetchPolicy:
        """`policy` with the host's own timeout and User-Agent, when it has them."""
        own = self.settings(host_of(url))
        if own is None or (own.timeout is None and own.user_agent is None):
            return policy
        timeout = own.timeout if own.timeout is not None else policy.total_timeout
        return dataclasses.replace(
            policy,
            total_timeout=timeout,
            read_timeout=max(policy.read_timeout, min(timeout, 60)),
            user_agent=own.user_agent or policy.user_agent,
        )

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's slots for the duration of a request (local files are not limited)."""
        host = host_of(url)
        if not host:
            yield
            return
        with self._semaphore(host):
            self._pace(host)
            yield


def host_of(url: str) -> str:
    """host[:port] of an http(s) URL, "" otherwise: the unit of politeness and of task chunking."""
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return ""
        return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return ""


class _Abort(Exception):
    """Internal: stop streaming with an already classified error."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.message)
        self.error = error


def make_client(policy: FetchPolicy, stop: Stop | None = None) -> httpx.Client:
    """One pooled client per run; timeouts are per socket operation, the total deadline is ours.

    Redirects are followed by `_fetch_http`, hop by hop, so each hop's target is checked.
    """
    timeout = httpx.Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        write=policy.read_timeout,
        pool=policy.connect_timeout,
    )
    transport = GuardedTransport()
    if stop is not None:
        stop.on_stop(transport.abort)  # requests in flight fail at once on SIGTERM
    return httpx.Client(
        transport=transport,
        follow_redirects=False,
        timeout=timeout,
        # We decode ourselves (bounded), so only offer encodings we can decode with zlib.
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
    )


def _scrub(message: str, url: str) -> str:
    """Remove any userinfo of `url` that an exception message may have echoed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return message
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    # A short username is usually not a secret and would garble the message; a password always is.
    user = parts.username if parts.username and len(parts.username) >= MIN_SECRET_CHARS else None
    for secret in (userinfo, parts.password, user):
        if secret:
            message = message.replace(secret, "***")
    return message


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; return seconds from now (>= 0)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _decoder(encoding: str) -> zlib._Decompress | None:
    """A zlib decompressor for the Content-Encoding, None for identity."""
    enc = encoding.strip().lower()
    if enc in ("", "identity"):
        return None
    if enc in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if enc == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header, auto-detected
    raise _Abort(FetchError("io", f"unsupported Content-Encoding {encoding!r}"))


def _read_body(resp: httpx.Response, policy: FetchPolicy, deadline: float) -> bytes:
    """Stream raw bytes, decode with a bounded output size, and stop at the cap or the deadline."""
    too_large = FetchError("too_large", f"body exceeds {policy.max_bytes} bytes (decoded)")
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _Abort(too_large)
    decoder = _decoder(resp.headers.get("content-encoding", ""))
    out = bytearray()
    for raw in resp.iter_raw():
        if time.monotonic() > deadline:
            raise _Abort(FetchError("timeout", f"total deadline {policy.total_timeout}s exceeded", True))
        pending = raw
        while pending:
            room = policy.max_bytes - len(out) + 1
            chunk = decoder.decompress(pending, room) if decoder else pending
            pending = decoder.unconsumed_tail if decoder else b""
            out += chunk
            if len(out) > policy.max_bytes:
                raise _Abort(too_large)
    if decoder:
        out += decoder.flush()
        if len(out) > policy.max_bytes:
            raise _Abort(too_large)
    return bytes(out)


def _status_error(resp: httpx.Response) -> FetchError:
    """Classify a non-2xx/304 answer; 5xx and 429 are worth retrying."""
    code = resp.status_code
    transient = code >= 500 or code in TRANSIENT_STATUSES
    retry_after = parse_retry_after(resp.headers.get("retry-after"))
    msg = f"HTTP {code} {resp.reason_phrase}".strip()
    if retry_after is not None:
        msg += f" (retry after {retry_after:.0f}s)"
    return FetchError("http_status", msg, transient, retry_after)


def _exception_error(exc: Exception, url: str) -> FetchError:
    """Map httpx's exception tree onto our stable kinds."""
    msg = _scrub(f"{type(exc).__name__}: {exc}", url)
    if isinstance(exc.__cause__, BlockedAddress):
        return FetchError("blocked", _scrub(str(exc), url), False)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("timeout", msg, True)
    if isinstance(exc, httpx.ConnectError):
        # DNS failure or refused connection: retrying seconds later rarely helps; the source's
        # health backoff and the next scheduled run deal with it (no in-run retries).
        return FetchError("connect", _connect_words(str(exc), url) or msg, False)
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError("redirects", msg, False)
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return FetchError("scheme", msg, False)
    if isinstance(exc, (httpx.TransportError, httpx.DecodingError, zlib.error)):
        return FetchError("io", msg, True)
    return FetchError("io", msg, False)


def _connect_words(text: str, url: str) -> str | None:
    """Plain words for the two connect failures people meet most (offline, server down)."""
    host = host_of(url)
    if "Name or service not known" in text or "nodename nor servname" in text or "Temporary failure in name" in text:
        return f"cannot resolve host {host} (offline, or the name is wrong)"
    if "Connection refused" in text:
        return f"connection refused by {host}"
    return None


def challenged(status: int, headers: httpx.Headers, body: bytes) -> bool:
    """A firewall's challenge instead of content: EUR-Lex's WAF answers 202, an empty body and a header."""
    return "challenge" in headers.get("x-amzn-waf-action", "").lower() or (status == 202 and not body.strip())


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """Validators from the previous fetch, so unchanged feeds cost a 304."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def origin_of(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """scheme, host, port (default ports made explicit): what "same origin" compares."""
    u = urlsplit(str(url))
    scheme = u.scheme.lower()
    return scheme, (u.hostname or "").strip("[]"), u.port or {"http": 80, "https": 443}.get(scheme)


def _private_ok(url: str | httpx.URL, origin: tuple[str, str, int | None] | None, allow_private: bool) -> bool:
    """May this hop reach a non-public address? Only on the operator's own origin, or when allowed."""
    return allow_private or (origin is not None and origin_of(url) == origin)


def _next_hop(resp: httpx.Response) -> httpx.URL | None:
    """Where a redirect leads, or None when the response is not a redirect."""
    location = resp.headers.get("location")
    if not resp.is_redirect or not location:
        return None
    target = resp.url.join(location)
    if target.scheme not in ("http", "https"):
        raise _Abort(
            FetchError("scheme", f"redirect to a {target.scheme}: URL refused; only http/https may be fetched")
        )
    return target


def _fetch_http(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    etag: str | None,
    last_modified: str | None,
    origin: tuple[str, str, int | None] | None = None,
    allow_private: bool = False,
) -> FetchedDocument:
    """GET with streaming limits and one total deadline; every failure comes back as `error`."""
    started, fetched_at = time.monotonic(), datetime.now(UTC)
    safe_url, final_url, status, body, headers = redact(url), redact(url), 0, b"", httpx.Headers()
    error: FetchError | None = None
    seen: dict = {}  # what the last hop answered, kept when its body then fails
    try:
        with deadline(policy.total_timeout):
            body, error = _follow(
                client, httpx.URL(url), policy, etag, last_modified, origin, allow_private, started, seen
            )
    except _Abort as abort:
        error, body = abort.error, b""
    except (httpx.HTTPError, httpx.InvalidURL, zlib.error, OSError) as exc:
        error, body = _exception_error(exc, url), b""
        if error.kind == "timeout" and time.monotonic() >= started + policy.total_timeout - 0.05:
            error = FetchError(
                "timeout", f"total deadline {policy.total_timeout}s exceeded (connect, headers and body)", True
            )
    final_url, status, headers = seen.get("url", final_url), seen.get("status", 0), seen.get("headers", headers)
    return FetchedDocument(
        url=safe_url,
        final_url=final_url,
        status=status,
        body=body,
        content_type=headers.get("content-type", ""),
        etag=headers.get("etag") or (etag if status == 304 else None),
        last_modified=headers.get("last-modified") or (last_modified if status == 304 else None),
        elapsed_ms=int((time.monotonic() - started) * 1000),
        fetched_at=fetched_at,
        error=error,
    )


def _follow(
    client: httpx.Client,
    url: httpx.URL,
    policy: FetchPolicy,
    etag: str | None,
    last_modified: str | None,
    origin: tuple[str, str, int | None] | None,
    allow_private: bool,
    started: float,
    seen: dict,
) -> tuple[bytes, FetchError | None]:
    """Follow redirects hop by hop, each hop checked against the SSRF rule; (body, error).

    `seen` gets the final hop's url, status and headers as soon as they are known.
    """
    request_headers = {**_conditional_headers(etag, last_modified), "User-Agent": policy.user_agent}
    origin = origin or origin_of(url)
    for _hop in range(policy.max_redirects + 1):
        extensions = {PRIVATE_OK: _private_ok(url, origin, allow_private)}
        with client.stream("GET", url, headers=request_headers, extensions=extensions) as resp:
            target = _next_hop(resp)  # a refused redirect scheme fails before anything is recorded
            seen.update(url=redact(str(resp.url)), status=resp.status_code, headers=resp.headers)
            if target is None:
                if resp.status_code == 304:
                    return b"", None
                if not 200 <= resp.status_code < 300:
                    return b"", _status_error(resp)
                body = _read_body(resp, policy, started + policy.total_timeout)
                if challenged(resp.status_code, resp.headers, body):
                    return body, FetchError(
                        "challenge",
                        f"HTTP {resp.status_code} from a web firewall challenge "
                        f"({resp.headers.get('x-amzn-waf-action') or 'empty body'}),"
                        " not content",
                    )
                return body, None
        url = target
    seen.update(url=redact(str(url)), status=0, headers=httpx.Headers())
    return b"", FetchError("redirects", f"more than {policy.max_redirects} redirects", False)


def _local_path(url: str, base_dir: pathlib.Path | None) -> pathlib.Path:
    """A file: URL or a path (relative ones against base_dir, the repo root for our config)."""
    if url.lower().startswith("file:"):
        path = pathlib.Path(url2pathname(urlsplit(url).path))
    else:
        path = pathlib.Path(url)
    if not path.is_absolute():
        path = (base_dir or pathlib.Path.cwd()) / path
    return path.resolve()


def _fetch_local(
    url: str, policy: FetchPolicy, base_dir: pathlib.Path | None, last_modified: str | None
) -> FetchedDocument:
    """Read a file named by our own config (the seed feed), with the same size cap as HTTP."""
    started, fetched_at = time.monotonic(), datetime.now(UTC)
    path = _local_path(url, base_dir)
    final_url, status, body, mtime = path.as_uri(), 0, b"", None
    error: FetchError | None = None
    try:
        stat = path.stat()
        mtime = format_datetime(datetime.fromtimestamp(int(stat.st_mtime), UTC), usegmt=True)
        if stat.st_size > policy.max_bytes:
            error = FetchError("too_large", f"file exceeds {policy.max_bytes} bytes")
        elif last_modified and last_modified == mtime:
            status = 304
        else:
            status, body = 200, path.read_bytes()
    except OSError as exc:
        error = FetchError("io", f"cannot read local source {url!r}: {exc.strerror or exc}")
    return FetchedDocument(
        url=url,
        final_url=final_url,
        status=status,
        body=body,
        content_type=mimetypes.guess_type(path.name)[0] or "",
        last_modified=mtime,
        elapsed_ms=int((time.monotonic() - started) * 1000),
        fetched_at=fetched_at,
        error=error,
    )


def _literal_problem(url: str) -> str | None:
    """Why a URL whose host is an IP literal (in any spelling) is not public; None for names."""
    ip = literal_ip(urlsplit(url).hostname or "")
    problem = address_problem(ip) if ip is not None else None
    return (
        f"refused {redact(url)}: {problem} (a link or redirect from a feed must lead to a public address)"
        if problem
        else None
    )


def _refused(url: str, message: str, kind: str = "scheme") -> FetchedDocument:
    """A document for a URL we will not fetch at all."""
    return FetchedDocument(
        url=redact(url),
        final_url=redact(url),
        status=0,
        body=b"",
        fetched_at=datetime.now(UTC),
        error=FetchError(kind, message),
    )


def fetch(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    base_dir: pathlib.Path | None = None,
    allow_local: bool = False,
    limiter: HostLimiter | None = None,
    origin: str | None = None,
    allow_private: bool = False,
    budget_s: float | None = None,
) -> FetchedDocument:
    """Fetch one URL; never raises for network, HTTP or content trouble (see FetchedDocument.error).

    `allow_local` is only for URLs from our own config: links found in a remote feed must never
    make us read local files. SSRF rule: `url` itself is trusted when it IS the operator's URL
    (origin None); otherwise a hop may reach a non-public address only when it has the same
    scheme+host+port as `origin` (the source's own URL) or `allow_private` is set. `budget_s` (what
    is left of the source's time budget) caps the request's total deadline, host settings included.
    """
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return _refused(url, "unparseable URL")
    if scheme in ("http", "https"):
        try:
            trusted = origin_of(origin or url)
        except ValueError:
            trusted = None
        if not _private_ok(url, trusted, allow_private) and (problem := _literal_problem(url)):
            return _refused(url, problem, "blocked")  # spellings httpx would reject, refused as what they are
        if limiter is not None:
            policy = limiter.policy(url, policy)
        if budget_s is not None and budget_s < policy.total_timeout:
            policy = dataclasses.replace(policy, total_timeout=budget_s)
        if limiter is None:
            return _fetch_http(client, url, policy, etag, last_modified, trusted, allow_private)
        with limiter.slot(url):
            return _fetch_http(client, url, policy, etag, last_modified, trusted, allow_private)
    if allow_local and (scheme in ("", "file")):
        return _fetch_local(url, policy, base_dir, last_modified)
    label = f"{scheme}:" if scheme else "local path"
    return _refused(url, f"refused {label} URL {redact(url)!r}: only http/https may be fetched")
