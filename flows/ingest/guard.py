"""SSRF guard and request deadline at the socket layer, where httpx really connects and reads.

A link found in a remote feed, or a redirect, may point at our own machine or network (loopback,
cloud metadata at 169.254.169.254, 10/8, ...). Checking the URL and then letting httpx resolve the
name again leaves a DNS-rebinding gap, so the guarded network backend resolves the name ONCE,
validates every address, and connects to the validated IP itself; TLS SNI and the Host header
still use the name (httpcore passes the origin host to start_tls, not our address).

The same backend enforces one total deadline per request (connect, headers, body): httpx's read
timeout is per socket read, so a server trickling one header byte every few seconds never trips it.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import ssl
import threading
import time
import typing
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
V4_COMPATIBLE = ipaddress.ip_network("::/96")
# Monotonic time by which the current request (this thread or task) must be finished; None = no cap.
# A ContextVar, not shared state: each thread sees only the deadline of its own request.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("treatywatch_deadline", default=None)
PRIVATE_OK = "treatywatch.private_ok"  # request extension: this request may reach private addresses


class BlockedAddress(httpcore.ConnectError):
    """A guarded request would have connected to a non-public address."""


class DeadlineExceeded(httpcore.ReadTimeout):
    """The request's total deadline passed (connect + headers + body)."""


def embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in v4-mapped, v4-compatible, NAT64, 6to4 or Teredo IPv6 forms."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if (ip in V4_COMPATIBLE or ip in NAT64) and int(ip) & 0xFFFFFFFF and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` is not a public unicast address (None when it is)."""
    for candidate in (embedded_v4(ip), ip):  # the hidden IPv4 names the real target
        if candidate is None:
            continue
        for label in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
            if getattr(candidate, f"is_{label}"):
                return f"{label.replace('_', '-')} address {candidate}"
        if not candidate.is_global:  # CGNAT 100.64/10, 192.0.0/24, benchmarking 198.18/15, ...
            return f"non-public address {candidate}"
    return None


def literal_ip(host: str) -> IPAddress | None:
    """The IP a host names literally, including the legacy IPv4 forms (2130706433, 0x7f.1, 127.1)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # inet_aton accepts decimal, hex, octal and short dotted forms, as resolvers do
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def resolve_public(host: str, port: int) -> list[str]:
    """Resolve once and return the addresses to connect to; raise BlockedAddress if any is not public.

    Any non-public answer blocks the name: a name resolving to a public and a private address is
    exactly the rebinding trick.
    """
    literal = literal_ip(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve host {host}: {exc.strerror}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    for ip in addresses:
        problem = address_problem(ip)
        if problem:
            raise BlockedAddress(
                f"refused {host}: it resolves to a {problem} (a link or redirect from a "
                "feed must lead to a public address)"
            )
    return [str(ip) for ip in addresses]


def remaining(timeout: float | None) -> float | None:
    """The socket timeout to use now: the smaller of the per-operation timeout and the deadline left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("total deadline exceeded")
    return left if timeout is None else min(timeout, left)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation inside this block shares one deadline `seconds` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never wait past the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, remaining(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to validated public addresses (when `public_only`), always within the deadline."""

    def __init__(self, public_only: bool) -> None:
        self.public_only = public_only
        self._live: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._guard = threading.Lock()

    def abort(self) -> None:
        """Shut down every open socket: blocked reads return at once (a stop request)."""
        with self._guard:
            live = list(self._live)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        targets = resolve_public(host, port) if self.public_only else [host]
        error: Exception | None = None
        for target in targets:  # the validated IP itself, so no second resolution can differ
            try:
                stream = super().connect_tcp(target, port, remaining(timeout), local_address, socket_options)
                sock = stream.get_extra_info("socket")
                if sock is not None:
                    with self._guard:
                        self._live.add(sock)
                return _DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")


def _pool(backend: GuardedBackend, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> httpcore.ConnectionPool:
    return httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )


class _PoolTransport(httpx.HTTPTransport):
    """httpx's transport (request/response mapping, exception mapping) over our own pool."""

    def __init__(self, public_only: bool, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool.close()
        self.backend = GuardedBackend(public_only)
        self._pool = _pool(self.backend, limits, ssl_context)


class GuardedTransport(httpx.BaseTransport):
    """Two pools: requests marked PRIVATE_OK (the operator's own origin) may reach any address;
    every other request goes through a pool that only ever connects to public addresses.

    Separate pools matter: a keep-alive connection opened for a trusted source must never be
    reused by an untrusted link to the same host:port.
    """

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits()
        # one TLS context for both pools: building one (CA bundle load) costs ~20 ms, and httpx built four
        tls = httpx.create_ssl_context()
        self._trusted, self._public = _PoolTransport(False, limits, tls), _PoolTransport(True, limits, tls)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._trusted if request.extensions.get(PRIVATE_OK) else self._public
        return pool.handle_request(request)

    def abort(self) -> None:
        """Cut every request in flight (a stop request): they fail at once instead of at their deadline."""
        self._trusted.backend.abort()
        self._public.backend.abort()

    def close(self) -> None:
        self._trusted.close()
        self._public.close()
