"""The one rule for hosts that users or admins name (webhooks, mailboxes, calendars): Steward
connects to global addresses only, unless the operator allows private ones, so a form cannot
turn it into a probe of the network it runs in (SSRF)."""

from __future__ import annotations

import ipaddress
import socket


def host_problem(
    host: str, port: int, *, allow_private: bool, setting: str
) -> tuple[str | None, str | None]:
    """(why Steward will not connect to host:port or None, the address to connect to or
    None). `setting` names the environment variable that would allow private addresses."""
    if allow_private:
        return None, None
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"host {host!r} does not resolve", None
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (mapped or ip).is_global:
            return (
                f"resolves to {ip}, a private or loopback address (set {setting}=true to allow it)"
            ), None
    return None, addresses[0] if addresses else None
