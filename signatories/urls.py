from django.urls import path, register_converter

from . import views


class TokenConverter:
    regex = "[A-Za-z0-9_-]{20,100}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "signatories"

urlpatterns = [
    path("c/<slug:slug>/sign/", views.sign, name="sign"),
    path("c/<slug:slug>/signed/", views.signed, name="signed"),
    path("c/<slug:slug>/signers/", views.signers, name="signers"),
    path("c/<slug:slug>/signatures.json", views.signatures_json, name="json"),
    path("s/confirm/code/", views.confirm_by_code, name="confirm-by-code"),
    path("s/confirm/<token:token>/", views.confirm, name="confirm"),
    path("s/withdraw/<token:token>/", views.withdraw, name="withdraw"),
    path("s/reconfirm/<token:token>/", views.reconfirm, name="reconfirm"),
    path("s/new-link/", views.resend, name="resend"),
]
