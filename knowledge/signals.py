"""Signals the knowledge app sends so other apps can react without knowledge importing them.

`content_changed` is sent inside the transaction of every curation step (edit, submit, return,
approve, re-review, retire) with keyword arguments: user, action ("section.approve", ...),
object_type ("section" | "rule"), object_id (the external id or rule key), version (number).
The assistant app writes these to the staff audit log.
"""

from django.dispatch import Signal

content_changed = Signal()
