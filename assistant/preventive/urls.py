from django.urls import path

from . import views as preventive_views

app_name = "preventive"

urlpatterns = [
    path("try/", preventive_views.try_patient, name="try"),
]
