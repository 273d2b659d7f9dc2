"""Reviewing the audit log: filters, keyset pages, rows and diffs, exports, Entra's feed.

The views in attributes/views/audit.py parse, call and render; the rules live here, one
module each. Who may read which records is decided in attributes.access.
"""
