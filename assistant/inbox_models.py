"""Models of the nurse inbox (canned replies, alerts, draft use). See assistant/models.py."""
