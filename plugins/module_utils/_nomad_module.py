# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NomadModule: AnsibleModule with the shared Nomad connection options (private to edgeops.nomad)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    DEFAULT_RETRIES,
    ENV_VARS,
    NomadAPIError,
    NomadClient,
)


def _connection_spec():
    spec = dict(
        url=dict(type="str", aliases=["address"]),
        token=dict(type="str", no_log=True),
        ca_cert=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        validate_certs=dict(type="bool", default=True),
        region=dict(type="str"),
        namespace=dict(type="str"),
        timeout=dict(type="int", default=30),
        retries=dict(type="int", default=DEFAULT_RETRIES),
    )
    for key, var in ENV_VARS.items():  # the one NOMAD_* mapping, in _nomad_api
        spec[key]["fallback"] = (env_fallback, [var])
    return spec


NOMAD_CONNECTION_SPEC = _connection_spec()


class NomadModule(AnsibleModule):
    """AnsibleModule plus the Nomad connection options and a lazily built NomadClient."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = copy.deepcopy(NOMAD_CONNECTION_SPEC)
        spec.update(argument_spec or {})
        super(NomadModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            try:
                self._client = NomadClient.from_settings(self.params, environ={})
            except NomadAPIError as exc:
                self.fail_json(msg=str(exc))
        return self._client

    def fail_api(self, exc, **result):
        """Turn a NomadAPIError into fail_json with what the user needs (never the token)."""
        extra = dict(result)
        extra.update(getattr(exc, "details", None) or {})
        if getattr(exc, "status", None) is not None:
            extra["status"] = exc.status
        self.fail_json(msg=str(exc), **extra)

    def add_diff(self, result, before, after):
        """With --diff, record before/after in result; an absent object shows as {}."""
        if self._diff:
            result["diff"] = {"before": before or {}, "after": after or {}}

    def ensure(self, result, before, after, write=None, delete=None):
        """The GET -> compare -> write step every object module shares.

        ``before``/``after`` are the comparable forms of the object (None = absent), read and
        computed by the caller. Sets ``result["changed"]`` (and the diff with --diff); outside
        check mode calls ``delete()`` when the object must go, ``write()`` when it must be created
        or changed, and returns what they return (None when nothing was written).
        """
        changed = before != after
        result["changed"] = changed
        self.add_diff(result, before, after)
        if not changed or self.check_mode:
            return None
        if after is None:
            return delete()
        return write()

    def ensure_by_id(self, result, key, kind, current, before, after, body):
        """ensure() for the ACL objects Nomad keys by an ID it makes itself (roles, binding rules).

        ``kind`` is the path segment (``role``, ``binding-rule``), ``current`` the object as read
        (None = absent) and ``body`` what to write (the ID is added for an update). Creates with
        ``POST /v1/acl/<kind>`` (never retried: a retry after a lost answer could create a second
        object), updates with ``POST /v1/acl/<kind>/<ID>`` (same ID: safe to retry) and deletes with
        ``DELETE /v1/acl/<kind>/<ID>`` (nomad/acl_endpoint.go UpsertRoles/UpsertBindingRules). The
        object Nomad answers with lands in ``result[key]``.
        """
        client = self.client

        def write():
            if current:
                path = client.path("v1", "acl", kind, current["ID"])
                written = client.post(path, body=dict(body, ID=current["ID"]), namespaced=False, idempotent=True)
            else:
                written = client.post(client.path("v1", "acl", kind), body=body, namespaced=False)
            result[key] = written.data

        def delete():
            client.delete(client.path("v1", "acl", kind, current["ID"]), namespaced=False)

        return self.ensure(result, before, after, write=write, delete=delete)


def prune_none(data):
    """Drop keys whose value is None (options the user did not set)."""
    return dict((k, v) for k, v in data.items() if v is not None)


_SIZE_UNITS = {"": 1, "b": 1}
for _i, _p in enumerate("kmgtpe", 1):
    _SIZE_UNITS.update({_p: 1000 ** _i, _p + "b": 1000 ** _i, _p + "i": 1024 ** _i, _p + "ib": 1024 ** _i})


def size_to_bytes(value):
    """A size as Nomad's CLI reads it (go-humanize ``ParseBytes``: ``10GiB`` = 10 * 1024^3, ``10GB`` and
    ``10G`` = 10 * 1000^3, case-insensitive) or a number of bytes -> int bytes.

    Raises ValueError with a readable message for anything else, negative sizes included.
    """
    if isinstance(value, bool):
        raise ValueError("not a size: %r" % (value,))
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    text = str(value).strip().replace(",", "")
    num = text
    while num and not (num[-1].isdigit() or num[-1] == "."):
        num = num[:-1]
    unit = text[len(num):].strip().lower()
    try:
        number = float(num.strip())
    except ValueError:
        raise ValueError("not a size: %r (use bytes or a unit like 500MB, 10GiB)" % (value,))
    if unit not in _SIZE_UNITS:
        raise ValueError("not a size: %r (use bytes or a unit like 500MB, 10GiB)" % (value,))
    if number < 0:
        raise ValueError("must not be negative")
    return int(number * _SIZE_UNITS[unit])
