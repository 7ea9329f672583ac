"""Clients that reach the live test server from another loopback address (127.0.0.x), so the
server sees a different ``remote_addr`` per client, as it sees different phones and offices."""
from __future__ import annotations

from requests.adapters import HTTPAdapter

from .conftest import Client


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def from_address(api: Client, address: str) -> Client:
    """A client of the same server whose connections come from ``address`` (on loopback)."""
    client = Client(api.base)
    client.http.mount("http://", _FromAddress(address))
    return client
