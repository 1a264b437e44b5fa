from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("alerts/read/", views.alerts_read, name="alerts_read"),
    path("<int:escalation_id>/", views.thread, name="thread"),
    path("<int:escalation_id>/claim/", views.thread_claim, name="claim"),
    path("<int:escalation_id>/unclaim/", views.thread_unclaim, name="unclaim"),
    path("<int:escalation_id>/reply/", views.thread_reply, name="reply"),
    path("<int:escalation_id>/resolve/", views.thread_resolve, name="resolve"),
    path("<int:escalation_id>/draft/", views.thread_draft, name="draft"),
    path("conversation/<int:conversation_id>/", views.conversation, name="conversation"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("audit/", views.audit, name="audit"),
    path("canned/", views.canned_list, name="canned_list"),
    path("canned/new/", views.canned_create, name="canned_create"),
    path("canned/<int:canned_id>/", views.canned_edit, name="canned_edit"),
    path("canned/<int:canned_id>/delete/", views.canned_delete, name="canned_delete"),
]
