"""Where a redirect may lead: a guard against server-side request forgery (SSRF).

A public feed that answers `302 Location: http://169.254.169.254/latest/meta-data/` (or
`http://10.0.0.5/admin`) would otherwise make the collector read a cloud metadata service or
an intranet page and store what it finds as posts. So a redirect to another host is followed
only when every address that host resolves to is a public (globally routable) one, unless

- the host is one the organisation configured itself (`RedirectGuard.trusted_hosts`, the
  hosts of the sources in `listening.yaml`: an intranet feed stays readable), or
- `http.allow_private_redirects: true` switches the guard off.

The first request of a fetch goes where the config says (an organisation may listen to its
own intranet feeds), and a redirect within the same host is always followed. The check runs
before connecting, on the addresses the host name resolves to. What it does not cover: a
host whose DNS answer changes between our check and httpx's own lookup (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from earshot.listeners.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]


class RedirectBlocked(FetchError):
    """A redirect led to a private, loopback, link-local or otherwise non-public address."""


@dataclass(frozen=True)
class RedirectGuard:
    """Which redirect targets are followed (see the module docstring)."""

    allow_private: bool = False
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)


def normalise_host(host: str) -> str:
    """'Example.COM.' -> 'example.com', '[::1]' -> '::1'."""
    return host.strip().strip("[]").rstrip(".").lower()


def non_public_reason(address: Address) -> str | None:
    """Why `address` is not a public one ('loopback', 'private' ...); None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return non_public_reason(address.ipv4_mapped)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def check_redirect(
    origin_host: str,
    target_host: str,
    guard: RedirectGuard,
    *,
    where: str,
    target_url: str,
    resolver: Resolver = resolve,
) -> None:
    """Raise `RedirectBlocked` (on `where`) if a redirect from `origin_host` may not go to
    `target_host`; a host that does not resolve is left to the request's own DNS error."""
    target = normalise_host(target_host)
    if guard.allow_private or target == normalise_host(origin_host):
        return
    if target in {normalise_host(h) for h in guard.trusted_hosts}:
        return
    for reason, address in _non_public(target, resolver):
        raise RedirectBlocked(
            where,
            f"redirect to {target_url} refused: {target} is a {reason} address ({address}); "
            "set http.allow_private_redirects to follow redirects into private networks",
        )


def _non_public(host: str, resolver: Resolver) -> Iterable[tuple[str, str]]:
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = resolver(host)
        except (OSError, UnicodeError):
            return []  # the request itself reports the DNS failure
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    return [(reason, str(a)) for a in addresses if (reason := non_public_reason(a))]
