from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("try/", views.try_question, name="try"),
]
