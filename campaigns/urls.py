from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.campaign_detail, name="detail"),
    path("c/<slug:slug>/versions/", views.version_history, name="versions"),
    path("c/<slug:slug>/versions/<int:number>/", views.version_detail, name="version"),
    path("c/<slug:slug>/lead/letter.pdf", views.letter_pdf_preview, name="pdf-preview"),
]
