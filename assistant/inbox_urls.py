from django.http import HttpResponse
from django.urls import path

app_name = "inbox"


def _placeholder(request):
    return HttpResponse("Inbox")


urlpatterns = [
    path("", _placeholder, name="queue"),
    path("dashboard/", _placeholder, name="dashboard"),
]
