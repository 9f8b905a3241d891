# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nomad HTTP API client shared by every plugin of edgeops.nomad.

Private (leading underscore): no compatibility promise outside this collection.
It uses ansible's ``module_utils.urls.Request`` only (no extra Python dependency on the controller),
knows nothing about AnsibleModule and raises typed errors that never carry the token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import json
import os
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import Request, make_context

DEFAULT_URL = "http://127.0.0.1:4646"
# Request.open takes a ready SSL context from ansible-core 2.17 on; 2.16 builds one per request itself.
_OPEN_TAKES_CONTEXT = "context" in inspect.signature(Request.open).parameters
# Methods that may be retried after a 5xx or no answer: reading twice changes nothing. A write is
# retried only when it carries a check-and-set index (``cas`` query: a second attempt after a
# first one that did apply fails with 409 instead of applying twice) or when the caller declares
# it idempotent (a full-object upsert that sets the same state however often it runs). Never
# retried: token creation, job registration/deregistration (each creates an evaluation), deletes.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD"))
# Answers worth a retry: 5xx except 501 (not implemented: Enterprise-only endpoints), 429 (rate limit).
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5  # seconds before the first retry, doubled before each next one


def retry_policy_text():
    """The retry policy above in words: the ``retries`` option's description in the modules' shared
    documentation and the nomad_nodes inventory plugin's (plugins/doc_fragments/nomad.py, written by
    scripts/gen-retry-docs.py; a unit test fails when they differ), so the docs say what NomadClient.request does."""
    waits = ", ".join("%g s" % (DEFAULT_BACKOFF * 2 ** n) for n in range(3))
    return (
        "How many times to retry a call after no answer (connection refused, timed out) or an answer of %s, "
        "waiting %s ... between attempts. Only idempotent calls are retried: %s, writes with a check-and-set "
        "index (C(cas)), and full-object writes a module declares idempotent. Creating a token, role, binding rule, "
        "auth method or introduction token, job registration and deregistration, and deletes are never retried; "
        "their error says so. TLS errors and other answers are never retried."
        % (", ".join(str(code) for code in sorted(RETRY_STATUSES)), waits,
           " and ".join("C(%s)" % m for m in sorted(IDEMPOTENT_METHODS)))
    )


# Connection setting -> environment variable Nomad's own CLI reads. The one mapping every plugin
# (modules' argument spec fallbacks, the inventory plugin, the client) uses.
ENV_VARS = {
    "url": "NOMAD_ADDR",
    "token": "NOMAD_TOKEN",
    "ca_cert": "NOMAD_CACERT",
    "client_cert": "NOMAD_CLIENT_CERT",
    "client_key": "NOMAD_CLIENT_KEY",
    "region": "NOMAD_REGION",
    "namespace": "NOMAD_NAMESPACE",
}


class NomadAPIError(Exception):
    """A Nomad API call failed. ``status`` is the HTTP status (None when no answer came back)."""

    def __init__(self, message, method=None, path=None, status=None, body=None, attempts=1, details=None):
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.attempts = attempts
        self.details = details or {}
        super(NomadAPIError, self).__init__(self.__str__())

    def __str__(self):
        where = "%s %s" % (self.method, self.path) if self.method else ""
        status = " returned %s" % self.status if self.status is not None else ""
        tries = " (gave up after %d attempts)" % self.attempts if self.attempts > 1 else ""
        if where:
            return "Nomad API %s%s: %s%s" % (where, status, self.message, tries)
        return self.message


class NomadConnectionError(NomadAPIError):
    """No HTTP answer: refused, DNS, timeout."""


class NomadTLSError(NomadConnectionError):
    """TLS handshake or certificate verification failed."""


class NomadPermissionError(NomadAPIError):
    """403: missing, unknown or insufficient token."""


class NomadNotFoundError(NomadAPIError):
    """404."""


class NomadConflictError(NomadAPIError):
    """409, e.g. a variable check-and-set conflict; ``current`` holds the conflicting object if sent."""

    def __init__(self, message, current=None, **kwargs):
        self.current = current
        super(NomadConflictError, self).__init__(message, **kwargs)


class NomadInputError(NomadAPIError):
    """Bad client settings or module input, found before any request."""


class NomadStateError(NomadAPIError):
    """Nomad answered, but the cluster is not in a state the task can work with (ambiguous name,
    failed deployment, Enterprise feature on the community edition, ...). ``details`` holds what
    the module returns beside the message (for example the deployment)."""


class NomadTimeoutError(NomadStateError):
    """A wait (evaluation, deployment, drain) did not finish in time."""


# What a community-edition agent answers, with HTTP 501, on every Enterprise-only path (quotas, Sentinel
# policies, recommendations, license writes), for any method and before any ACL check
# (command/agent/http.go ErrEntOnly; command/agent/http_ce.go registerEnterpriseHandlers/entOnly).
ENTERPRISE_ONLY_TEXT = "Nomad Enterprise only endpoint"


class NomadEnterpriseOnlyError(NomadStateError):
    """501 ``Nomad Enterprise only endpoint``: the cluster is the community edition."""


class NomadResponse(object):
    """Decoded answer: ``data`` (JSON, bytes when raw, or None), ``index`` (X-Nomad-Index or None)."""

    def __init__(self, status, data, headers):
        self.status = status
        self.data = data
        self.headers = headers or {}
        raw_index = self.header("X-Nomad-Index")
        try:
            self.index = int(raw_index) if raw_index is not None else None
        except ValueError:
            self.index = None

    def header(self, name):
        """Header value by case-insensitive name: Go's net/http sends canonical keys, so Nomad's
        ``X-Nomad-NextToken`` arrives as ``X-Nomad-Nexttoken`` (textproto.CanonicalMIMEHeaderKey)."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def _redact(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def settings_from_env(settings, environ=None):
    """Fill unset connection settings from Nomad's environment variables."""
    environ = os.environ if environ is None else environ
    result = dict(settings)
    for key, var in ENV_VARS.items():
        if result.get(key) in (None, "") and environ.get(var):
            result[key] = environ[var]
    return result


class NomadClient(object):
    """Minimal Nomad API client.

    ``retries`` applies to connection errors and RETRY_STATUSES answers of idempotent calls only
    (IDEMPOTENT_METHODS, a write with a check-and-set index, or a write the caller declares idempotent).
    """

    def __init__(self, url=None, token=None, ca_cert=None, client_cert=None, client_key=None,
                 validate_certs=True, region=None, namespace=None, timeout=30, retries=DEFAULT_RETRIES,
                 backoff=DEFAULT_BACKOFF, sleep=time.sleep):
        url = url or DEFAULT_URL
        if not (url.startswith("http://") or url.startswith("https://")):
            raise NomadInputError("url must start with http:// or https:// (got %r)" % url)
        if bool(client_cert) != bool(client_key):
            raise NomadInputError("client_cert and client_key must be given together")
        for name, value in (("ca_cert", ca_cert), ("client_cert", client_cert), ("client_key", client_key)):
            if value and not os.path.isfile(value):
                raise NomadInputError("%s: file %s does not exist" % (name, value))
        if retries is None or int(retries) < 0:
            raise NomadInputError("retries must be 0 or more")
        self.url = url.rstrip("/")
        self.token = (token or "").strip() or None
        self.ca_cert = ca_cert
        self.client_cert = client_cert
        self.client_key = client_key
        self.validate_certs = validate_certs
        self.region = region or None
        self.namespace = namespace or None
        self.timeout = timeout
        self.retries = int(retries)
        self.backoff = backoff
        self._sleep = sleep
        self._tls_context = None

    def _context(self):
        """The TLS context of this client, built on first use and reused for every request.

        ``open_url`` (``Request.open`` without a context) builds a new one per request and reloads the CA bundle each
        time (86 % of a request in the inventory profile, benchmarks/inventory_nomad_nodes.py); one
        client talks to one address with one set of certificates, so one context serves them all
        (``Request.open`` builds one even for ``http://``, for a redirect to https).
        """
        if self._tls_context is None:
            self._tls_context = make_context(cafile=self.ca_cert, validate_certs=self.validate_certs,
                                             client_cert=self.client_cert, client_key=self.client_key)
        return self._tls_context

    def tls_context(self):
        """The SSLContext this client verifies the agent with (CA, client certificate, validate_certs), for a
        second transport to the same agent (the event stream of the nomad_events event source)."""
        return self._context()

    @classmethod
    def from_settings(cls, settings, environ=None, **kwargs):
        merged = settings_from_env(settings, environ)
        keys = ("url", "token", "ca_cert", "client_cert", "client_key", "validate_certs",
                "region", "namespace", "timeout", "retries")
        args = dict((k, merged[k]) for k in keys if merged.get(k) is not None)
        args.update(kwargs)
        return cls(**args)

    # -- helpers -----------------------------------------------------------------
    @staticmethod
    def path(*parts):
        """Join path segments, quoting each (variable paths keep their slashes)."""
        return "/" + "/".join(quote(str(p).strip("/"), safe="/~") for p in parts if p != "")

    def _query(self, query, namespaced):
        params = []
        if self.region:
            params.append(("region", self.region))
        if namespaced and self.namespace:
            params.append(("namespace", self.namespace))
        for key, value in sorted((query or {}).items()):
            if value is None:
                continue
            params = [p for p in params if p[0] != key]
            for item in (value if isinstance(value, (list, tuple)) else [value]):  # a list repeats the parameter
                if isinstance(item, bool):
                    item = "true" if item else "false"
                params.append((key, str(item)))
        return urlencode(params)

    def _headers(self, raw_body, token):
        headers = {"Accept": "application/json"}
        token = token if token is not None else self.token
        if token:
            headers["X-Nomad-Token"] = token
        if raw_body:
            headers["Content-Type"] = "application/octet-stream"
        else:
            headers["Content-Type"] = "application/json"
        return headers

    # -- the call --------------------------------------------------------------
    def request(self, method, path, query=None, body=None, raw_body=None, raw_response=False,
                idempotent=None, namespaced=True, token=None, headers=None, secrets=()):
        """Call ``method path``; return a NomadResponse or raise a NomadAPIError subclass.

        Retries (``retries`` times, exponential backoff) only idempotent calls, see
        IDEMPOTENT_METHODS; the error names the method and endpoint and says how often it tried.
        ``headers`` are sent besides the client's own (for example ``X-Nomad-CSI-Secrets``);
        ``secrets`` are further values that never appear in an error message.
        """
        method = method.upper()
        qs = self._query(query, namespaced)
        url = self.url + path + ("?" + qs if qs else "")
        shown = path + ("?" + qs if qs else "")
        data = raw_body if raw_body is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or (query or {}).get("cas") is not None
        attempts = 1 + (self.retries if idempotent else 0)
        secrets = [s for s in (self.token, token) + tuple(secrets) if s]
        last = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                return self._once(method, url, shown, data, raw_body is not None, raw_response, token, secrets,
                                  headers)
            except NomadTLSError:
                raise  # retrying a certificate problem does not help
            except NomadConnectionError as exc:
                last = exc
            except NomadAPIError as exc:
                if exc.status not in RETRY_STATUSES:
                    exc.attempts = attempt + 1  # e.g. a 409 to a retried check-and-set write
                    raise
                last = exc
            last.attempts = attempt + 1
        if not idempotent:
            last.message += ("; not retried (a %s here is not idempotent): check the object in Nomad "
                             "before running the task again" % method)
        raise last

    def _once(self, method, url, shown, data, is_raw, raw_response, token, secrets, extra_headers=None):
        reuse = {"context": self._context()} if _OPEN_TAKES_CONTEXT else {}
        sent = self._headers(is_raw, token)
        sent.update(extra_headers or {})
        try:
            resp = Request().open(
                method, url, data=data, headers=sent,
                validate_certs=self.validate_certs, ca_path=self.ca_cert,
                client_cert=self.client_cert, client_key=self.client_key,
                timeout=self.timeout, follow_redirects="safe", use_proxy=True,
                http_agent="edgeops.nomad", use_netrc=False, **reuse
            )
            payload = resp.read()
            headers = dict(resp.headers.items())
            status = resp.getcode()
        except HTTPError as exc:
            try:
                text = exc.read().decode("utf-8", "replace").strip()
            except Exception:  # pylint: disable=broad-except
                text = ""
            text = _redact(text or exc.reason or "HTTP error", secrets)
            self._raise_http(method, shown, exc.code, text)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise NomadTLSError("TLS error: %s" % _redact(str(exc), secrets), method=method, path=shown)
        except URLError as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, socket.timeout):
                raise NomadConnectionError("no answer from %s within %ss (timed out)" % (self.url, self.timeout),
                                           method=method, path=shown)
            cls = NomadTLSError if isinstance(reason, (ssl.SSLError, ssl.CertificateError)) else NomadConnectionError
            raise cls("cannot reach %s: %s" % (self.url, _redact(str(reason), secrets)), method=method, path=shown)
        except socket.timeout:
            raise NomadConnectionError("no answer from %s within %ss (timed out)" % (self.url, self.timeout),
                                       method=method, path=shown)
        except (OSError, ValueError) as exc:
            text = _redact(str(exc), secrets)
            cls = NomadTLSError if "SSL" in text or "certificate" in text.lower() else NomadConnectionError
            raise cls("cannot reach %s: %s" % (self.url, text), method=method, path=shown)
        if raw_response:
            return NomadResponse(status, payload, headers)
        if not payload.strip():
            return NomadResponse(status, None, headers)
        try:
            return NomadResponse(status, json.loads(payload.decode("utf-8")), headers)
        except ValueError:
            raise NomadAPIError("answer is not JSON: %s" % _redact(payload[:200].decode("utf-8", "replace"), secrets),
                                method=method, path=shown, status=status)

    @staticmethod
    def _raise_http(method, path, status, text):
        kwargs = dict(method=method, path=path, status=status, body=text)
        if status == 403:
            raise NomadPermissionError(text, **kwargs)
        if status == 404:
            raise NomadNotFoundError(text, **kwargs)
        if status == 409:
            current = None
            try:
                current = json.loads(text)
            except ValueError:
                pass
            message = "check-and-set conflict" if isinstance(current, dict) else text
            raise NomadConflictError(message, current=current, **kwargs)
        if status == 501 and text == ENTERPRISE_ONLY_TEXT:
            raise NomadEnterpriseOnlyError(text, **kwargs)
        raise NomadAPIError(text, **kwargs)

    # -- conveniences ------------------------------------------------------------
    def get(self, path, query=None, **kwargs):
        return self.request("GET", path, query=query, **kwargs)

    def get_or_none(self, path, query=None, **kwargs):
        """GET that maps 404 to None (the object does not exist)."""
        try:
            return self.request("GET", path, query=query, **kwargs)
        except NomadNotFoundError:
            return None

    def put(self, path, body=None, query=None, **kwargs):
        return self.request("PUT", path, query=query, body=body, **kwargs)

    def post(self, path, body=None, query=None, **kwargs):
        return self.request("POST", path, query=query, body=body, **kwargs)

    def delete(self, path, query=None, **kwargs):
        return self.request("DELETE", path, query=query, **kwargs)

    def get_all(self, path, query=None, **kwargs):
        """GET a list endpoint to its end, following Nomad's pagination (``X-Nomad-NextToken``
        answer header -> ``next_token`` query parameter)."""
        items, query = [], dict(query or {})
        while True:
            resp = self.get(path, query=query, **kwargs)
            items.extend(resp.data or [])
            token = resp.header("X-Nomad-NextToken")
            if not token:
                return items
            query["next_token"] = token


def poll(fetch, done, timeout, what, interval=1.0, sleep=None, clock=None):
    """Call ``fetch()`` until ``done(value)`` is true; return that value.

    ``done`` may raise (a terminal failure). After ``timeout`` seconds raise NomadTimeoutError
    ("<what> still <state> after Ns"), with the last value in ``details["last"]``; ``what`` is a
    callable (value -> text) or a text.
    """
    sleep = sleep or time.sleep
    clock = clock or time.time
    deadline = clock() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if clock() >= deadline:
            text = what(value) if callable(what) else what
            raise NomadTimeoutError("%s after %ss" % (text, timeout), details={"last": value})
        sleep(interval)
