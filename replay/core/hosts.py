"""What kind of host a name is: this machine only, or AWS itself."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost`` names and loopback addresses (IPv4 ``127.0.0.0/8``, IPv6 ``::1``, with or
    without brackets or a zone id)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def is_aws_host(host: str) -> bool:
    """An AWS endpoint name (``*.amazonaws.com``, ``*.amazonaws.com.cn``, ``*.api.aws``)."""
    name = host.strip("[]").lower().rstrip(".")
    return name.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))
