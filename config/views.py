from django.http import HttpResponse


def healthz(request):
    """A bare view: for load balancers, and the baseline of the load benchmark."""
    return HttpResponse(b"ok", content_type="text/plain")
