"""The guard on every request synthgen makes to a URL a job carries (today: its webhook).

A URL passes when
- its scheme is http or https, with no user info in it;
- its host is one the operator allowed (SYNTHGEN_OUTBOUND_HOSTS: `hooks.example.com`,
  or `*.example.com` for any name under it); nothing is allowed by default;
- every address its name resolves to is a public one, unless it falls in a network the
  operator allowed on purpose (SYNTHGEN_OUTBOUND_PRIVATE): loopback, private (RFC 1918,
  fc00::/7), link-local (169.254/16 and the cloud metadata address in it), CGNAT,
  multicast, reserved and unspecified addresses are refused, also when written as an
  IPv4-mapped IPv6 address.

DNS rebinding: the name is resolved once per request, the addresses are checked, and the
connection is made to exactly those addresses (`PinnedResolver` hands them to aiohttp,
which never resolves the name again); the Host header and TLS's SNI and certificate
check still use the name. Redirects are not followed and proxies from the environment
are not used, so neither can lead a request elsewhere. The URL is parsed once, by the
parser the request is made with (yarl, aiohttp's), so the host checked is the host
called: no second parser can read `http://a\\@b/` or an IDN differently.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Awaitable, Callable, Sequence

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]


class Refused(Exception):
    """A URL the policy does not let synthgen call; the message says why."""


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _address(text: str) -> IPAddress:
    ip = ipaddress.ip_address(text.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class OutboundPolicy:
    """Which hosts and addresses outbound requests may reach."""

    def __init__(self, hosts: Sequence[str], private: Sequence[str], resolve: Resolve = system_resolve):
        self.hosts = [h.strip().lower().rstrip(".") for h in hosts if h.strip()]
        self.private = [ipaddress.ip_network(n, strict=False) for n in private]
        self.resolve = resolve

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.hosts:
            if pattern.startswith("*.") and host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
            if host == pattern:
                return True
        return False

    def address_allowed(self, text: str) -> bool:
        ip = _address(text)
        if any(ip in net for net in self.private):
            return True
        return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)

    def check_url(self, url: str) -> tuple[URL, str, int]:
        """(parsed URL, host as sent (IDNA), port) of a URL whose form and host the policy allows."""
        try:
            parsed = URL(url)
            port = parsed.port
        except ValueError as exc:
            raise Refused(f"not a valid URL ({exc})") from None
        if parsed.scheme not in ("http", "https"):
            raise Refused("must be an http or https URL")
        if parsed.user is not None or parsed.password is not None:
            raise Refused("must not carry a user or password")
        host = parsed.raw_host or ""
        if not host:
            raise Refused("has no host")
        if not self.host_allowed(host):
            raise Refused(f"host {host!r} is not one the operator allows (SYNTHGEN_OUTBOUND_HOSTS)")
        return parsed, host, port or (443 if parsed.scheme == "https" else 80)

    async def addresses(self, url: str) -> tuple[URL, str, list[str]]:
        """(parsed URL, host, addresses) of an allowed URL: resolved once, every address checked."""
        parsed, host, port = self.check_url(url)
        try:
            literal = _address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = await asyncio.wait_for(self.resolve(host, port), timeout=5)
            except (OSError, asyncio.TimeoutError) as exc:
                raise Refused(f"host {host!r} does not resolve ({type(exc).__name__})") from None
        if not found:
            raise Refused(f"host {host!r} does not resolve")
        bad = [a for a in found if not self.address_allowed(a)]
        if bad:
            raise Refused(f"host {host!r} resolves to {bad[0]}, a loopback, private, link-local or reserved "
                          "address the operator does not allow (SYNTHGEN_OUTBOUND_PRIVATE)")
        return parsed, host, found


class PinnedResolver(AbstractResolver):
    """An aiohttp resolver that answers with addresses checked beforehand, and never
    resolves anything itself."""

    def __init__(self, host: str, addresses: list[str]):
        self.host = host
        self.addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
                      ) -> list[ResolveResult]:
        if host != self.host:
            raise OSError(f"{host!r} was not checked by the outbound policy")
        return [ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST) for a in self.addresses]

    async def close(self) -> None:
        return None


async def post(policy: OutboundPolicy, url: str, body: bytes, headers: dict[str, str],
               timeout: float) -> int:
    """POST `body` to an allowed URL, connecting only to the addresses checked; the
    status code (a redirect is answered, not followed). Raises Refused or aiohttp's and
    asyncio's errors."""
    parsed, host, addresses = await policy.addresses(url)
    connector = aiohttp.TCPConnector(resolver=PinnedResolver(host, addresses), use_dns_cache=False, force_close=True)
    async with aiohttp.ClientSession(connector=connector, trust_env=False,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(parsed, data=body, headers=headers, allow_redirects=False) as resp:
            await resp.read()
            return resp.status
