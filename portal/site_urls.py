from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("my-health/", views.my_health, name="my_health"),
    path("accounts/", include("django.contrib.auth.urls")),
]
_ = auth_views  # auth views are customised in templates/registration/
