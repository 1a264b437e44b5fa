from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


def home(request):
    return HttpResponse("Patient portal")


@login_required
def my_health(request):
    return HttpResponse("My health")
