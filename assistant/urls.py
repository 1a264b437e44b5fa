from django.urls import path

from . import views

app_name = "assistant"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("new/", views.conversation_new, name="conversation_new"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/send/", views.message_send, name="message_send"),
    path("message/<int:message_id>/feedback/", views.feedback, name="feedback"),
    path("message/<int:message_id>/handoff/", views.handoff, name="handoff"),
]
