"""The versioned HTTP API for other systems (/api/v1/, docs/api.md).

Views validate, call the same services and pure functions the pages and the socket use (the gate,
the answer pipeline, the inbox services, the FHIR importer, preventive care) and shape JSON; they
hold no logic of their own. Every call is audited with the client's identity (`views.ApiView`).
"""
