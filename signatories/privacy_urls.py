from django.urls import path

from . import privacy_views as views
from . import urls as _sign_on_urls  # noqa: F401  (registers the "token" path converter)

app_name = "privacy"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("my-data/", views.data_request, name="request"),
    path("my-data/copy/<token:token>/", views.data_copy, name="copy"),
    path("my-data/erase/<token:token>/", views.erase, name="erase"),
]
