"""The server as the phone sees it: JSON over HTTP, tokens refreshed when they expire."""
from __future__ import annotations

import requests

from shared_models.wire import SIGN_IN_AGAIN, retryable


class ApiFailure(Exception):
    """A call that did not succeed; ``retryable`` tells the outbox whether to try again."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 retryable: bool = True, body: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.retryable = retryable
        self.body = body or {}


class SignInRequired(ApiFailure):
    """The refresh token no longer works: the person must sign in again (nothing is lost)."""


class ApiClient:
    def __init__(self, server: str, refresh_token: str | None = None, timeout: float = 20.0) -> None:
        self.server = server.rstrip("/")
        self.refresh_token = refresh_token
        self.access_token: str | None = None
        self.timeout = timeout
        self.http = requests.Session()

    def login(self, phone: str, password: str, device_id: str) -> dict:
        body = self._call("POST", "/api/v1/auth/login", json={"phone": phone, "password": password,
                                                              "device_id": device_id, "device_name": "河巡 App"},
                          auth=False)
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]
        return body

    def refresh(self) -> None:
        if not self.refresh_token:
            raise SignInRequired("请重新登录", retryable=False)
        try:
            body = self._call("POST", "/api/v1/auth/refresh", json={"refresh_token": self.refresh_token},
                              auth=False)
        except ApiFailure as exc:
            if exc.code in SIGN_IN_AGAIN:
                raise SignInRequired(str(exc), code=exc.code, status=exc.status, retryable=False) from None
            raise
        self.access_token = body["access_token"]

    def call(self, method: str, path: str, **kw) -> requests.Response:
        """An authenticated call; an expired access token is refreshed once."""
        if self.access_token is None:
            self.refresh()
        try:
            return self._raw(method, path, auth=True, **kw)
        except ApiFailure as exc:
            if exc.status == 401 and exc.code in ("auth.token_expired", "auth.token_invalid", "auth.unauthenticated"):
                self.refresh()
                return self._raw(method, path, auth=True, **kw)
            raise

    def json(self, method: str, path: str, **kw) -> dict:
        return _body(self.call(method, path, **kw))

    def _call(self, method: str, path: str, auth: bool, **kw) -> dict:
        return _body(self._raw(method, path, auth=auth, **kw))

    def _raw(self, method: str, path: str, auth: bool, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if auth:
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            r = self.http.request(method, self.server + path, headers=headers, timeout=self.timeout, **kw)
        except requests.RequestException:
            raise ApiFailure("网络不通，稍后自动重试") from None  # said as it is on the phone: no exception text
        if r.status_code < 400:
            return r
        try:
            body = r.json()
        except ValueError:
            body = {}
        code = body.get("code")
        message = body.get("message") or f"服务器错误 {r.status_code}"
        raise ApiFailure(message, code=code, status=r.status_code, retryable=retryable(r.status_code, code), body=body)


def _body(r: requests.Response) -> dict:
    try:
        return r.json()
    except ValueError:  # the line broke in the middle of the answer
        raise ApiFailure("服务器回答不完整，稍后自动重试") from None
