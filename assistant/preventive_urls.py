from django.urls import path

from . import preventive_views

app_name = "preventive"

urlpatterns = [
    path("try/", preventive_views.try_patient, name="try"),
]
