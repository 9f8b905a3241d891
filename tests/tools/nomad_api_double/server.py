"""Nomad API double: an in-memory stand-in for Nomad's HTTP API, for tests only.

Every behaviour here is taken from the documented facts in /work/shared/nomad/api-endpoints.md
(methods, paths, PascalCase JSON, text/plain error bodies, status codes and texts, X-Nomad-Index,
X-Nomad-Token / Authorization: Bearer, 403 "Permission denied" / "ACL token not found").
Simplifications (documented in README.md): ACL policies are stored and parsed but a non-management
token is only allowed the endpoints that need no capability or "any valid token"; the scheduler is
not simulated (drains and deployments complete after a few reads).

This module is the HTTP plumbing: the server (TLS, mutual TLS), the request handler (dispatch, request
recording, injected faults, answers). The routes and their handlers are in resources/, one module per
Nomad resource, each with one handler class and its ROUTES table; every module there is found and
mixed into Handler here. The state is in state.py, the shared helpers in common.py.

Test-only control endpoints live under /_double/ (never a Nomad path): resources/control.py.
"""

import fcntl
import importlib
import json
import os
import pkgutil
import re
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import resources
from .common import JSON_NULL, HTTPFailure, RequestHelpers, Streaming
from .rules import RuleError
from .state import DoubleState  # noqa: F401  (the package's public names: DoubleState, NomadAPIDouble)

RECORD_ENV = "NOMAD_API_DOUBLE_RECORD"  # path of a JSONL file: every request body is appended to it


def resource_modules():
    """Every module of resources/ that has a ROUTES table, by module name."""
    modules = [importlib.import_module("%s.%s" % (resources.__name__, info.name))
               for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda info: info.name)]
    return [module for module in modules if hasattr(module, "ROUTES")]


def handler_classes(modules, plumbing):
    """The classes that own the modules' handlers (each handler is a method of one class of its module).
    Two classes may not define the same name, nor one of the plumbing's: the mixed Handler would take
    one of them silently."""
    classes = []
    for module in modules:
        for dummy_methods, dummy_regex, handler in module.ROUTES:
            owner = next(value for value in vars(module).values()
                         if isinstance(value, type) and handler in vars(value).values())
            if owner not in classes:
                classes.append(owner)
    seen = dict((name, plumbing) for klass in plumbing.__mro__ if klass is not object for name in vars(klass))
    for owner in classes:
        for name in vars(owner):
            if not name.startswith("__"):
                if name in seen:
                    raise TypeError("%s.%s is also defined by %s" % (owner.__name__, name, seen[name].__name__))
                seen[name] = owner
    return classes


def literal_prefix(regex):
    """The length of a route pattern's literal start (up to its first group or wildcard)."""
    return len(re.match(r"\^([^(\[.*+?$\\]*)", regex.pattern).group(1))


class Plumbing(RequestHelpers, BaseHTTPRequestHandler):
    """The request handler's HTTP side: dispatch over ROUTES, recording, faults, answers."""

    server_version = "NomadAPIDouble/2.0.5"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

    @property
    def state(self):
        return self.server.state

    def _dispatch(self):
        parts = urlsplit(self.path)
        self.route_path = parts.path
        self.query = dict((k, v[-1]) for k, v in parse_qs(parts.query, keep_blank_values=True).items())
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.token = self._token()
        with self.state.lock:
            self.state.requests.append({"method": self.command, "path": self.route_path, "query": dict(self.query),
                                        "has_token": bool(self.token)})
        self._record()
        try:
            fault = self._fault()
            if fault:
                raise HTTPFailure(fault["status"], fault.get("body", "injected fault"))
            if self.server.rpc_only and not self.route_path.startswith("/_double/rpc/"):
                raise HTTPFailure(404, "Invalid URL")  # the RPC port serves no HTTP API
            handler, groups = self._route()
            with self.state.lock:
                self.state.tick()  # what fell due since the last request (lifecycle.py), before answering
                result = handler(self, *groups)
            self._answer(*result)
        except RuleError as exc:
            self._send(exc.status, exc.text.encode(), "text/plain; charset=utf-8", {})
        except HTTPFailure as exc:
            if exc.body is not None:
                self._answer(exc.status, exc.body, {"X-Nomad-Index": str(self.state.index)})
            else:
                self._send(exc.status, exc.text.encode(), "text/plain; charset=utf-8", {})

    def _record(self):
        """With NOMAD_API_DOUBLE_RECORD (or --record) set: append {method, path, query, body} as one JSON
        line, for the contract test (tests/tools/nomad_api_double/contract) that decodes each body into Nomad's api types."""
        path = self.server.record_path
        if not path or self.route_path.startswith("/_double/"):
            return
        try:
            body = json.loads(self.body.decode()) if self.body else None
        except ValueError:
            body = {"_raw_bytes": len(self.body)}  # snapshot archives and other non-JSON bodies
        line = json.dumps({"method": self.command, "path": self.route_path, "query": self.query, "body": body},
                          sort_keys=True) + "\n"
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            fcntl.flock(handle, fcntl.LOCK_UN)

    def _fault(self):
        with self.state.lock:
            for fault in self.state.faults:
                if fault["remaining"] and self.route_path.startswith(fault["path"]) and \
                        fault.get("method") in (None, self.command):
                    fault["remaining"] -= 1
                    return fault
        return None

    def _token(self):
        token = (self.headers.get("X-Nomad-Token") or "").strip()
        if not token:
            auth = (self.headers.get("Authorization") or "").strip().split(" ")
            if len(auth) >= 2 and auth[0].lower() == "bearer":
                token = auth[1]
        return token

    def _answer(self, status, data, headers=None):
        if isinstance(data, Streaming):  # outside the state lock: the stream waits for events
            data.run(self)
            return
        headers = dict(headers or {})
        if isinstance(data, bytes):
            self._send(status, data, headers.pop("Content-Type", "application/octet-stream"), headers)
            return
        payload = b"null" if data is JSON_NULL else b"" if data is None else json.dumps(data).encode()
        self._send(status, payload, "application/json", headers)

    def _send(self, status, payload, ctype, headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _route(self):
        for methods, regex, handler in ROUTES:
            match = regex.match(self.route_path)
            if match:
                if self.command not in methods:
                    raise HTTPFailure(getattr(handler, "invalid_method_status", 405), "Invalid method")
                return handler, [unquote(g) for g in match.groups()]
        raise HTTPFailure(404, "Invalid URL")  # placeholder text for unknown paths


MODULES = resource_modules()


class Handler(*handler_classes(MODULES, Plumbing), Plumbing):
    """The double's request handler: the plumbing plus every resource's handlers."""


def routes_of(modules):
    """Every resource's routes, tried most specific first (the longest literal start: /v1/node/pools before
    /v1/node/<id>, /v1/acl/token/self before /v1/acl/token/<accessor>), so the order of the modules and of
    their entries does not matter."""
    return sorted((entry for module in modules for entry in module.ROUTES), key=lambda entry: -literal_prefix(entry[1]))


ROUTES = routes_of(MODULES)


class NomadAPIDouble(ThreadingHTTPServer):
    """The double's HTTP(S) server. ``url`` is its base address; run with serve_forever() or start()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state=None, host="127.0.0.1", port=0, tls_cert=None, tls_key=None, tls_client_ca=None,
                 record=None, rpc_only=False):
        """rpc_only: this listener stands for the servers' RPC port (4647): it answers only /_double/rpc/ and,
        with a client CA, checks the caller's certificate names as Nomad's servers do (verify_server_hostname)."""
        self.state = state or DoubleState()
        self.rpc_only = rpc_only
        self.verify_peer_names = bool(rpc_only and tls_client_ca)
        self.record_path = record or os.environ.get(RECORD_ENV) or None
        super().__init__((host, port), Handler)
        scheme = "http"
        if tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            if tls_client_ca:
                ctx.load_verify_locations(tls_client_ca)
                ctx.verify_mode = ssl.CERT_REQUIRED
            # the handshake runs in the connection's own thread (finish_request), so a refused client gets
            # the TLS alert, as from Go's tls.Listener, rather than a reset
            self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
            scheme = "https"
        self.url = "%s://%s:%d" % (scheme, host, self.server_address[1])
        self._thread = None

    def handle_error(self, request, client_address):  # TLS failures from clients are expected in tests
        pass

    def finish_request(self, request, client_address):
        """TLS: the handshake first. When it fails (no client certificate, an unknown CA), what the client
        already sent is read before the socket closes: closing with unread data makes the kernel send a
        reset, which can overtake the alert (Go's server sends "certificate required" and the client's
        TLS library reports it)."""
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(10)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                try:
                    request.settimeout(0.2)
                    while socket.socket.recv(request, 65536):  # the raw bytes, past the failed TLS layer
                        pass
                except (OSError, ValueError):
                    pass
                return
            request.settimeout(None)
        super().finish_request(request, client_address)

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.state.events.cut()  # open event streams end (their threads would otherwise outlive the server)
        self.shutdown()
        self.server_close()

    def shutdown_from_signal(self):
        threading.Thread(target=self.shutdown, daemon=True).start()
