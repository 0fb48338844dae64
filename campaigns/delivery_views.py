"""The lead area's recipients and delivery pages: choose who gets the letter, send it, follow
every copy. Each view parses the request, calls one service or selector, renders; every
view goes through `permissions.lead_view`, and every change is in the audit log.
"""

import tempfile
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from signatories.regions import US_STATES
from signatories.selectors import signature_count_public

from . import lead_forms
from .delivery import (
    RESENDABLE,
    delivery_mark_sent,
    delivery_plan,
    delivery_resend,
    delivery_run_cancel,
    delivery_run_create,
    delivery_run_resume,
    print_bundle_mark_mailed,
    snapshot_path,
)
from .delivery_bundle import print_bundle_deliveries, print_bundle_start, print_bundle_write
from .lead_views import _context, _error_messages, lead_action
from .models import CampaignRecipient, Delivery, Legislator
from .permissions import lead_view
from .selectors import (
    campaign_recipients,
    deliveries_for_lead,
    delivery_run_latest,
    delivery_status_counts,
    legislators_matching,
    letter_version_current,
    recipient_filter_choices,
    recipients_summary,
)
from .services import recipients_lead_add, recipients_lead_add_matching, recipients_lead_remove

PAGE_SIZE = 100
SEARCH_LIMIT = 30
FILTER_FIELDS = ("jurisdiction", "state", "chamber", "district", "committee", "party")


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def _recipients_url(campaign, query: str = "") -> str:
    url = reverse("lead:recipients", kwargs={"slug": campaign.slug})
    return f"{url}?{query}" if query else url


def _filter_form(request):
    jurisdiction = request.GET.get("jurisdiction", "")[:8].lower() or None
    states = (
        Legislator.objects.filter(active=True)
        .exclude(state="")
        .order_by("state")
        .values_list("state", flat=True)
        .distinct()
    )
    bound = any(request.GET.get(name) for name in FILTER_FIELDS)
    return lead_forms.RecipientFilterForm(
        request.GET if bound else None,
        choices=recipient_filter_choices(jurisdiction=jurisdiction),
        states=[(code, US_STATES.get(code, code)) for code in states],
    )


def _recipients_post(request, campaign, filter_form) -> str:
    """Add or remove; returns the message shown after the redirect."""
    if request.POST.get("action") == "add-matching":
        filters = filter_form.filters()
        if not filters:
            raise ValidationError(_("Choose at least one filter, then show the matches."))
        added = recipients_lead_add_matching(campaign=campaign, actor=request.user, **filters)
        return ngettext("%(count)d recipient added.", "%(count)d recipients added.", added) % {
            "count": added
        }
    form = lead_forms.RecipientIdsForm(request.POST)
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    ids = form.cleaned_data["ids"]
    if form.cleaned_data["action"] == "remove":
        removed = recipients_lead_remove(campaign=campaign, actor=request.user, legislator_ids=ids)
        return ngettext(
            "%(count)d recipient removed.", "%(count)d recipients removed.", removed
        ) % {"count": removed}
    added = recipients_lead_add(campaign=campaign, actor=request.user, legislator_ids=ids)
    return ngettext("%(count)d recipient added.", "%(count)d recipients added.", added) % {
        "count": added
    }


@lead_view("view", post_ability="edit")
def recipients(request, campaign, role):
    filter_form = _filter_form(request)
    query = request.GET.urlencode()
    if request.method == "POST":
        lead_action(
            request,
            partial(_recipients_post, request, campaign, filter_form),
            lambda message: message,
        )
        return HttpResponseRedirect(_recipients_url(campaign, query))

    chosen = CampaignRecipient.objects.filter(campaign=campaign, legislator=OuterRef("pk"))
    matching = None
    filters = filter_form.filters()
    if filters:
        matching = legislators_matching(**filters).aggregate(
            total=Count("pk", distinct=True),
            with_email=Count("pk", distinct=True, filter=~Q(email="")),
            chosen=Count("pk", distinct=True, filter=Q(campaign_recipients__campaign=campaign)),
        )
        matching["print_and_mail"] = matching["total"] - matching["with_email"]
    search_form = lead_forms.RecipientSearchForm(request.GET if "q" in request.GET else None)
    found = None
    if search_form.is_bound and search_form.is_valid() and search_form.cleaned_data["q"]:
        found = list(
            Legislator.objects.filter(active=True, name__icontains=search_form.cleaned_data["q"])
            .annotate(is_chosen=Exists(chosen))
            .order_by("sort_name", "pk")[:SEARCH_LIMIT]
        )
    page = Paginator(campaign_recipients(campaign=campaign), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "lead/recipients.html",
        _context(
            campaign,
            role,
            "recipients",
            summary=recipients_summary(campaign=campaign),
            filter_form=filter_form,
            matching=matching,
            search_form=search_form,
            found=found,
            search_limit=SEARCH_LIMIT,
            page=page,
            query=query,
            page_query=_without_page(request.GET),
            plan=delivery_plan(campaign=campaign),
            run=delivery_run_latest(campaign=campaign),
            directory_empty=not Legislator.objects.filter(active=True).exists(),
        ),
    )


# --- Sending ----------------------------------------------------------------------------


def _delivery_url(campaign) -> str:
    return reverse("lead:delivery", kwargs={"slug": campaign.slug})


@lead_view("edit")
def delivery_send(request, campaign, role):
    """Look first (the count, a preview), then confirm with a POST."""
    plan = delivery_plan(campaign=campaign)
    form = lead_forms.DeliverySendForm(
        request.POST or None, initial={"expected_count": plan.total, "when": "now"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = delivery_run_create(
                campaign=campaign,
                actor=request.user,
                send_at=data["send_at"],
                expected_count=data["expected_count"],
            )
        except ValidationError as error:
            if error.code == "cannot_send":
                messages.error(request, _error_messages(error))
                return redirect("lead:delivery", slug=campaign.slug)
            form.add_error(None, error)
            plan = delivery_plan(campaign=campaign)
        else:
            count = run.deliveries.count()
            if data["send_at"]:
                text = ngettext(
                    "Scheduled: %(count)d copy will be sent at %(when)s.",
                    "Scheduled: %(count)d copies will be sent at %(when)s.",
                    count,
                )
                when = timezone.localtime(run.scheduled_for).strftime("%Y-%m-%d %H:%M")
                messages.success(request, text % {"count": count, "when": when})
            else:
                text = ngettext(
                    "Sending %(count)d copy. This page shows how each one is doing.",
                    "Sending %(count)d copies. This page shows how each one is doing.",
                    count,
                )
                messages.success(request, text % {"count": count})
            return redirect("lead:delivery", slug=campaign.slug)
    return render(
        request,
        "lead/delivery_send.html",
        _context(
            campaign,
            role,
            "delivery",
            plan=plan,
            form=form,
            version=letter_version_current(campaign=campaign),
            signer_count=signature_count_public(campaign=campaign),
        ),
    )


@lead_view("view")
def delivery(request, campaign, role):
    """The delivery report: counts by status, every copy, and what a lead can do about it."""
    status = request.GET.get("status", "")
    if status not in Delivery.Status.values:
        status = ""
    run = delivery_run_latest(campaign=campaign)
    page = Paginator(deliveries_for_lead(campaign=campaign, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    stalled = False
    if run is not None and run.is_active and run.scheduled_for <= timezone.now():
        quiet_since = timezone.now() - timedelta(seconds=2 * settings.DELIVERY_LEASE_SECONDS)
        stalled = (run.heartbeat_at or run.created_at) < quiet_since
    return render(
        request,
        "lead/delivery.html",
        _context(
            campaign,
            role,
            "delivery",
            run=run,
            counts=delivery_status_counts(campaign=campaign),
            status=status,
            status_query=urlencode({"status": status}) if status else "",
            page=page,
            unconfirmed=Delivery.objects.filter(
                campaign=campaign, status=Delivery.Status.UNCONFIRMED
            ).select_related("legislator"),
            returned=Delivery.objects.filter(
                campaign=campaign,
                channel=Delivery.Channel.EMAIL,
                status__in=[s for s in RESENDABLE if s != Delivery.Status.UNCONFIRMED],
            ).select_related("legislator"),
            bundle_count=print_bundle_deliveries(campaign=campaign).count(),
            waiting_for_post=Delivery.objects.filter(
                campaign=campaign, channel=Delivery.Channel.PRINT, status=Delivery.Status.READY
            ).count(),
            plan=delivery_plan(campaign=campaign),
            stalled=stalled,
            resolve_form=lead_forms.DeliveryResolveForm(),
        ),
    )


@lead_view("edit")
@require_POST
def delivery_cancel(request, campaign, role):
    lead_action(
        request,
        partial(delivery_run_cancel, campaign=campaign, actor=request.user),
        _("Delivery cancelled. Copies not sent yet will not be sent."),
    )
    return redirect("lead:delivery", slug=campaign.slug)


@lead_view("edit")
@require_POST
def delivery_resume(request, campaign, role):
    lead_action(
        request,
        partial(delivery_run_resume, campaign=campaign, actor=request.user),
        _("Delivery restarted."),
    )
    return redirect("lead:delivery", slug=campaign.slug)


@lead_view("edit")
@require_POST
def delivery_resolve(request, campaign, role, pk):
    """Mark an unconfirmed copy as sent, or send a copy again (to a corrected address)."""
    copy = get_object_or_404(Delivery, pk=pk, campaign=campaign)
    form = lead_forms.DeliveryResolveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        if form.cleaned_data["action"] == "mark_sent":
            delivery_mark_sent(delivery=copy, actor=request.user)
            messages.success(request, _("Marked as sent."))
        else:
            copy = delivery_resend(
                delivery=copy, actor=request.user, email=form.cleaned_data["email"]
            )
            messages.success(
                request,
                _("The copy for %(name)s will be sent again to %(email)s.")
                % {"name": copy.legislator.name, "email": copy.to_email},
            )
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    return redirect("lead:delivery", slug=campaign.slug)


@lead_view("view")
def delivery_pdf(request, campaign, role, pk):
    """One copy's PDF snapshot, exactly as it was (or will be) sent."""
    copy = get_object_or_404(
        Delivery.objects.select_related("legislator"), pk=pk, campaign=campaign
    )
    path = snapshot_path(copy)
    if path is None:
        raise Http404
    response = FileResponse(
        path.open("rb"), content_type="application/pdf", filename=f"{copy.pdf_sha256[:16]}.pdf"
    )
    response["Cache-Control"] = "private, no-cache"
    return response


@lead_view("view")
@require_safe  # a download that is logged: other methods change nothing
def delivery_bundle(request, campaign, role):
    """The print-and-mail bundle: a ZIP of the PDFs and a CSV of addresses."""
    deliveries = print_bundle_start(campaign=campaign, actor=request.user)
    # FileResponse closes (and so deletes) the file once it is sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    print_bundle_write(deliveries=deliveries, output=output)
    output.seek(0)
    stamp = timezone.localdate().isoformat()
    response = FileResponse(
        output,
        as_attachment=True,
        filename=f"{campaign.slug}-print-and-mail-{stamp}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@lead_view("edit")
@require_POST
def delivery_mailed(request, campaign, role):
    lead_action(
        request,
        partial(print_bundle_mark_mailed, campaign=campaign, actor=request.user),
        lambda count: (
            ngettext(
                "%(count)d copy marked as mailed.", "%(count)d copies marked as mailed.", count
            )
            % {"count": count}
        ),
    )
    return redirect("lead:delivery", slug=campaign.slug)
