"""The one way an HR adapter calls its system: checked like a webhook URL (``kit.netguard``:
no loopback, private or link-local address unless ``ADMIT_DIRECTORY_ALLOW_PRIVATE``), a
timeout, no redirects, and every failure turned into a ``ProviderError`` the admin can read.

A 429 or 503 with ``Retry-After`` carries it (the sync is retried after it); 401 and 403 are
the key's fault; other 5xx, timeouts and refused connections are the system's.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx

from admit.directory.hr.base import Failure, ProviderError
from admit.kit import netguard

__all__ = ["PRIVATE_HINT", "Fetcher"]

USER_AGENT = "Admit-HR-Sync/1"
# What lets a list on this machine or the company's own network be read: the operator's setting,
# said wherever such an address is refused (a connection's URL, a list read).
PRIVATE_HINT = (
    "For an HR export on your own network, the server's operator sets ADMIT_DIRECTORY_ALLOW_PRIVATE=true."
)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """The system's CA certificates, loaded once (loading them is most of a small request)."""
    return ssl.create_default_context()


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the run's own backoff applies


@dataclass(slots=True)
class Fetcher:
    """``title`` names the system in messages ("BambooHR answered 401 …")."""

    title: str
    allow_private: bool = False
    key_label: str = "API key"  # what the system calls its secret, in messages
    timeout_seconds: float = 20.0
    require_https: bool = False
    # One answer. The worker serves every portal: one admin's "list at a URL" must not fill its
    # memory. 100,000 employees are ~30 MB of JSON.
    max_bytes: int = 200_000_000

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """The system's answer when it is a success (2xx); a ``ProviderError`` otherwise."""
        try:
            target = netguard.resolve(url, allow_private=self.allow_private, require_https=self.require_https)
        except netguard.Unresolved as exc:  # DNS may answer on the next try
            raise ProviderError(Failure.UNAVAILABLE, f"{self.title}: {exc}") from exc
        except netguard.Private as exc:
            raise ProviderError(Failure.REFUSED, f"{self.title}: {exc} {PRIVATE_HINT}") from exc
        except netguard.Refused as exc:
            raise ProviderError(Failure.REFUSED, f"{self.title}: {exc}") from exc
        sent = {"user-agent": USER_AGENT, "accept": "application/json", **(headers or {})}
        sent["host"] = target.host_header
        extensions = {"sni_hostname": target.server_name} if target.url.startswith("https:") else None
        timeout = httpx.Timeout(self.timeout_seconds, connect=min(5.0, self.timeout_seconds))
        try:
            with httpx.Client(
                timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()
            ) as client:
                request = client.build_request(
                    method,
                    target.url,
                    headers=sent,
                    params=params,
                    json=json_body,
                    data=form,
                    extensions=extensions,
                )
                answer = client.send(request, auth=auth, stream=True)
                try:
                    body = bytearray()
                    for chunk in answer.iter_bytes():
                        body += chunk
                        if len(body) > self.max_bytes:
                            raise ProviderError(
                                Failure.MALFORMED,
                                f"{self.title} sent more than {self.max_bytes // 1_000_000} MB: "
                                "not an employee list.",
                            )
                finally:
                    answer.close()
                # Decoded already: the new answer carries no content-encoding to decode again.
                kept = [
                    (k, v)
                    for k, v in answer.headers.items()
                    if k not in ("content-encoding", "content-length")
                ]
                answer = httpx.Response(
                    answer.status_code, headers=kept, content=bytes(body), request=request
                )
        except ProviderError:
            raise
        except httpx.TimeoutException as exc:
            raise ProviderError(
                Failure.UNAVAILABLE, f"{self.title} did not answer within {self.timeout_seconds:g} s."
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                Failure.UNAVAILABLE,
                f"{self.title} could not be reached: check its address, or try again later.",
            ) from exc
        except (UnicodeError, ValueError, TypeError) as exc:  # a key or header httpx cannot send
            raise ProviderError(
                Failure.REFUSED,
                f"{self.title}: the request could not be made ({type(exc).__name__}): check the key.",
            ) from exc
        status = answer.status_code
        if 200 <= status < 300:
            return answer
        if status in (401, 403):
            raise ProviderError(
                Failure.AUTH,
                f"{self.title} refused the credentials ({status}): "
                f"check the {self.key_label} and its permissions.",
            )
        if status == 429:
            raise ProviderError(
                Failure.RATE_LIMITED,
                f"{self.title} asked Admit to slow down (429).",
                retry_after=_retry_after(answer),
            )
        if status >= 500:
            raise ProviderError(
                Failure.UNAVAILABLE,
                f"{self.title} had an error ({status}).",
                retry_after=_retry_after(answer),
            )
        raise ProviderError(
            Failure.MALFORMED, f"{self.title} answered {status} to {method} {url.split('?')[0]}."
        )

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """The answer's JSON; a body that is not JSON is malformed data."""
        answer = self.request(method, url, **kwargs)
        try:
            return answer.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                Failure.MALFORMED, f"{self.title} answered with something that is not JSON."
            ) from exc
