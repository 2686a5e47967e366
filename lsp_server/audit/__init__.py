"""The audit trail beyond writing it: the hash chain, verification, reports and forwarding.

The writer itself is `lsp_server.endpoint.audit.AuditLog` (the endpoint owns what leaves
the machine); this package knows the file format and never opens a network connection
except through `lsp_server.endpoint.boundary`.
"""
