"""A browser's session with the portal over HTTP: the cookie it keeps and the forms it posts."""

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Session:
    base: str
    address: str = "127.0.0.1"  # the client's address, told to the portal by X-Forwarded-For
    cookies: dict = field(default_factory=dict)

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body) of one request, remembering the cookies set."""
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        all_headers = {"X-Forwarded-For": self.address, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data

    def login(self, email, password):
        """Log in through the form; the seconds the POST took."""
        status, _, page = self.request("GET", "/login")
        token = CSRF.search(page.decode()).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
        started = time.perf_counter()
        status, headers, _ = self.request(
            "POST",
            "/login",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base + "/login"},
        )
        took = time.perf_counter() - started
        if status != 302:
            raise RuntimeError(f"logging in as {email} answered {status}")
        return took

    def cookie_header(self):
        return "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items())
