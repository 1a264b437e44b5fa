"""Site pages and accounts (sign in/out, password change and reset under /accounts/)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("my-health/", views.my_health, name="my_health"),
    # Before django.contrib.auth.urls so that these two win.
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
]
