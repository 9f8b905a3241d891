# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling Nomad Enterprise from the community edition: the one check every module uses (private).

What a community-edition (CE) agent answers, read in Nomad 2.0.5's source:

- every Enterprise-only path (``/v1/quota*``, ``/v1/sentinel/polic*``, ``/v1/recommendation*``) answers
  HTTP 501 ``Nomad Enterprise only endpoint`` for any method, before any ACL check, so with any token or
  none (``command/agent/http_ce.go`` ``registerEnterpriseHandlers``/``entOnly``, ``command/agent/http.go``
  ``ErrEntOnly``); the client raises ``NomadEnterpriseOnlyError`` for exactly that answer;
- ``GET /v1/operator/license`` answers 204 with no body and no ACL check
  (``command/agent/operator_endpoint_ce.go`` ``LicenseRequest``); Enterprise answers 200 with the license,
  or 403 to a token without ``operator:read``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    ENTERPRISE_ONLY_TEXT,
    NomadEnterpriseOnlyError,
    NomadPermissionError,
    NomadStateError,
)

LICENSE_PATH = "/v1/operator/license"
# An Enterprise-only path whose answer tells the editions apart without any privilege (501 on CE, anything
# else on Enterprise: 200, or 403 to a token without quota:read).
PROBE_PATH = "/v1/quotas"


def community_edition_error(what, exc):
    """The NomadStateError a module raises when a call met the community edition's 501.

    ``what`` names the option or object that needs Enterprise, so the message starts with it.
    """
    where = "%s %s" % (exc.method, exc.path) if getattr(exc, "method", None) else "the cluster"
    return NomadStateError("%s: needs Nomad Enterprise; this cluster is the community edition (%s answered "
                           "501 %s)" % (what, where, ENTERPRISE_ONLY_TEXT), method=None)


class enterprise_only(object):
    """``with enterprise_only("quota"):`` turns the community edition's 501 into a message for ``what``.

    For the modules whose object exists only in Enterprise (quotas, Sentinel policies): their first
    read is the check, so it costs no extra call, needs no extra privilege and works in check mode.
    """

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, NomadEnterpriseOnlyError):
            raise community_edition_error(self.what, exc)
        return False


def is_enterprise(client):
    """True on Nomad Enterprise, False on the community edition; asks at most two questions.

    1. ``GET /v1/operator/license``: 204 (or 200 without a license) = CE, 200 with one = Enterprise.
    2. Only when 1 answers 403 (Enterprise checks ``operator:read``; CE never does): ``GET /v1/quotas``:
       501 ``Nomad Enterprise only endpoint`` = CE, any other answer (200, 403, 404) = the path exists.
    """
    try:
        resp = client.get(LICENSE_PATH, namespaced=False)
    except NomadPermissionError:
        try:
            client.get(PROBE_PATH, namespaced=False)
        except NomadEnterpriseOnlyError:
            return False
        except NomadPermissionError:
            return True
        return True
    return bool(resp.status != 204 and resp.data)


def require_enterprise(client, what, enterprise=None, feature=None):
    """Raise NomadStateError (message starting with ``what``) unless the cluster is Nomad Enterprise.

    ``enterprise`` is the module option of the same name: True skips the question, False refuses
    without asking, None asks the cluster (``is_enterprise``). ``feature`` is Nomad's name for the
    licensed feature, shown in the message. Call it before any write.
    """
    needs = "%s: needs Nomad Enterprise%s" % (what, " (%s)" % feature if feature else "")
    if enterprise is True:
        return
    if enterprise is False:
        raise NomadStateError("%s; enterprise=false says this cluster is the community edition" % needs)
    if not is_enterprise(client):
        raise NomadStateError("%s; this cluster is the community edition (GET %s answered without a license)"
                              % (needs, LICENSE_PATH))
