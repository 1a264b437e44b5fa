"""The curation screens (Django admin): find content, edit it as new versions, review, approve,
retire, compare versions.

Every write goes through knowledge.services, so the admin obeys the same workflow rules as any
other caller and keeps the retrieval index in step. Only curators (selectors.can_curate) see it.
Nothing is ever deleted here: answers cite versions, so history stays.

The package: `display` (badges, cells, filters), `versioned` (what sections and rules share:
history, version actions, bulk actions), `content` (sections, versions, articles) and `rules`
(preventive-care rules). Importing it registers them.
"""

from django.contrib import admin

from . import content, rules  # noqa: F401 - registers the curation screens

admin.site.site_header = "Riverside Health · administration"
admin.site.site_title = "Riverside Health admin"
