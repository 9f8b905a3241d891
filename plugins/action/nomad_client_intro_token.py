# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The introduction token is a secret: hide the result the same way as nomad_acl_token does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.edgeops.nomad.plugins.action.nomad_acl_token import ActionModule  # noqa: F401 pylint: disable=unused-import
