from django.urls import path

from . import delivery_views
from . import lead_views as views

app_name = "lead"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.campaign_create, name="campaign-create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/settings/", views.settings_edit, name="settings"),
    path("<slug:slug>/status/", views.status_change, name="status"),
    path("<slug:slug>/archive/", views.archive, name="archive"),
    path("<slug:slug>/anonymize/", views.anonymize, name="anonymize"),
    path("<slug:slug>/letter/", views.letter, name="letter"),
    path("<slug:slug>/partners/", views.partners, name="partners"),
    path("<slug:slug>/team/", views.team, name="team"),
    path("<slug:slug>/team/<int:pk>/", views.role_change, name="role-change"),
    path(
        "<slug:slug>/team/invitations/<int:pk>/cancel/",
        views.invitation_cancel,
        name="invitation-cancel",
    ),
    path("<slug:slug>/signatures/", views.signatures, name="signatures"),
    path("<slug:slug>/signatures/bulk/", views.signatures_bulk, name="signatures-bulk"),
    path("<slug:slug>/signatures/merge/", views.signatures_merge, name="signatures-merge"),
    path("<slug:slug>/signatures/invalidate/", views.invalidate, name="invalidate"),
    path("<slug:slug>/signatures/undo/", views.undo, name="undo"),
    path("<slug:slug>/signatures/<int:pk>/", views.signature, name="signature"),
    path("<slug:slug>/blocklist/", views.blocklist, name="blocklist"),
    path("<slug:slug>/audit/", views.audit_log, name="audit"),
    path("<slug:slug>/export.csv", views.export_csv, name="export"),
    path("<slug:slug>/recipients/", delivery_views.recipients, name="recipients"),
    path("<slug:slug>/delivery/", delivery_views.delivery, name="delivery"),
    path("<slug:slug>/delivery/send/", delivery_views.delivery_send, name="delivery-send"),
    path("<slug:slug>/delivery/cancel/", delivery_views.delivery_cancel, name="delivery-cancel"),
    path("<slug:slug>/delivery/resume/", delivery_views.delivery_resume, name="delivery-resume"),
    path("<slug:slug>/delivery/mailed/", delivery_views.delivery_mailed, name="delivery-mailed"),
    path("<slug:slug>/delivery/bundle.zip", delivery_views.delivery_bundle, name="delivery-bundle"),
    path(
        "<slug:slug>/delivery/<int:pk>/", delivery_views.delivery_resolve, name="delivery-resolve"
    ),
    path(
        "<slug:slug>/delivery/<int:pk>/letter.pdf",
        delivery_views.delivery_pdf,
        name="delivery-pdf",
    ),
]
