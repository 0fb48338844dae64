from django.urls import path, re_path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.campaign_detail, name="detail"),
    path("c/<slug:slug>/versions/", views.version_history, name="versions"),
    path("c/<slug:slug>/versions/<int:number>/", views.version_detail, name="version"),
    path("c/<slug:slug>/lead/letter.pdf", views.letter_pdf_preview, name="pdf-preview"),
    path("c/<slug:slug>/receipt/", views.delivery_receipt_page, name="receipt"),
    re_path(
        r"^c/(?P<slug>[-a-zA-Z0-9_]+)/receipt/(?P<sha256>[0-9a-f]{64})\.pdf$",
        views.delivered_pdf,
        name="receipt-pdf",
    ),
]
