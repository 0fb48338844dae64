"""The lead area (/lead/): each view parses the request, calls one service or selector, renders.

Every view that names a campaign is wrapped in `permissions.lead_view`, which sends
anonymous visitors to sign in and gives a 404 to leads without the needed role.
"""

from collections.abc import Callable
from functools import partial
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from signatories import moderation
from signatories.models import BlockedDomain, Signature
from signatories.retention import (
    anonymization_due_at,
    campaign_contact_data_anonymize,
    contact_data_remaining,
)
from signatories.selectors import (
    SignatureFilter,
    ip_hash_groups,
    signature_counts_by_status,
    signatures_for_lead,
    signatures_per_day,
    signatures_per_partner,
    signatures_public,
    signatures_public_per_state,
)

from . import charts, lead_forms, roles
from .audit import ACTION_LABELS
from .diff import letter_diff
from .exports import signatures_export_start
from .markdown import render_markdown
from .models import AuditEntry, Campaign, CampaignInvitation, CampaignRole, LetterVersion
from .permissions import can, can_see_contacts, lead_view
from .reconfirmation import reconfirmation_progress
from .selectors import letter_version_current
from .services import (
    ARCHIVABLE_STATUSES,
    campaign_archive,
    campaign_start,
    campaign_status_change,
    campaign_update,
    letter_edit,
    partner_link_create,
)

PAGE_SIZE = 50


def _context(campaign, role, section, **extra):
    return {
        "campaign": campaign,
        "role": role,
        "section": section,
        "can_edit": can(role=role, ability="edit"),
        "can_own": can(role=role, ability="own"),
        "sees_contacts": can_see_contacts(role=role),
        **extra,
    }


def _error_messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def lead_action[T](request, action: Callable[[], T], success: str | Callable[[T], str]) -> bool:
    """Do what a lead's button asks. The service's refusal (a ValidationError) becomes an
    error message, what it did a success message (`success`, or `success(result)`)."""
    try:
        result = action()
    except ValidationError as error:
        messages.error(request, _error_messages(error))
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


# --- My campaigns, new campaign, invitations ------------------------------------------------


@login_required
def home(request):
    memberships = (
        CampaignRole.objects.filter(user=request.user)
        .select_related("campaign")
        .annotate(
            signers=Count(
                "campaign__signatures",
                filter=Q(campaign__signatures__merged_into__isnull=True),
            ),
            waiting=Count(
                "campaign__signatures",
                filter=Q(
                    campaign__signatures__status=Signature.Status.VERIFIED,
                    campaign__signatures__merged_into__isnull=True,
                )
                & (
                    Q(campaign__requires_approval=True)
                    | Q(campaign__signatures__held_for_review=True)
                ),
            ),
        )
        .order_by("-campaign__created_at")
    )
    return render(
        request,
        "lead/home.html",
        {
            "memberships": memberships,
            "mfa_enabled": is_mfa_enabled(request.user),
        },
    )


@login_required
def campaign_create(request):
    form = lead_forms.CampaignCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_start(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            messages.success(request, _("Campaign created as a draft. Open sign-on when ready."))
            return redirect("lead:dashboard", slug=campaign.slug)
    return render(request, "lead/campaign_create.html", {"form": form})


def invitation_accept(request, token):
    invitation = roles.invitation_for_token(token=token)
    if invitation is None:
        return render(request, "lead/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        # Accepting needs an account: sign in (or sign up) and come back here.
        login = reverse("account_login")
        return render(
            request,
            "lead/invitation.html",
            {
                "invitation": invitation,
                "login_url": f"{login}?{urlencode({'next': request.path})}",
                "signup_url": f"{reverse('account_signup')}?{urlencode({'next': request.path})}",
            },
        )
    if request.method == "POST" and lead_action(
        request,
        partial(roles.invitation_accept, invitation=invitation, user=request.user),
        _("You are now a co-lead of this campaign."),
    ):
        return redirect("lead:dashboard", slug=invitation.campaign.slug)
    return render(request, "lead/invitation.html", {"invitation": invitation})


# --- Dashboard --------------------------------------------------------------------------------


@lead_view("view")
def dashboard(request, campaign, role):
    today = timezone.localdate()
    per_day = charts.days_filled(signatures_per_day(campaign=campaign), today=today)
    per_state = signatures_public_per_state(campaign=campaign)
    per_partner = signatures_per_partner(campaign=campaign)
    counts = signature_counts_by_status(campaign=campaign)
    public_count = signatures_public(campaign=campaign).count()
    version = letter_version_current(campaign=campaign)
    progress = None
    if version.change == LetterVersion.Change.SUBSTANTIVE and version.reconfirm_deadline:
        progress = reconfirmation_progress(version=version)
    chart_day = charts.bar_chart_days(
        chart_id="chart-days",
        title=_("Sign-ons per day"),
        description=_("New sign-ons each day, every status, over the last %(n)d days.")
        % {"n": len(per_day)},
        days=per_day,
    )
    chart_state = charts.bar_chart_horizontal(
        chart_id="chart-states",
        title=_("Listed signers per state"),
        description=_("Signers on the public list, by state or region, most first."),
        bars=[(state or _("(none)"), n) for state, n in per_state[:15]],
    )
    chart_partner = charts.bar_chart_horizontal(
        chart_id="chart-partners",
        title=_("Sign-ons per partner link"),
        description=_("Sign-ons brought by each partner's link, and without one."),
        bars=[(row["name"] or _("No partner link"), row["total"]) for row in per_partner],
    )
    return render(
        request,
        "lead/dashboard.html",
        _context(
            campaign,
            role,
            "dashboard",
            counts=[(label, counts.get(value, 0)) for value, label in Signature.Status.choices],
            public_count=public_count,
            version=version,
            progress=progress,
            per_day=per_day,
            per_state=per_state,
            per_partner=per_partner,
            chart_day=chart_day if per_day else None,
            chart_state=chart_state if per_state else None,
            chart_partner=chart_partner if per_partner else None,
            mfa_enabled=is_mfa_enabled(request.user),
            can_archive=campaign.status in ARCHIVABLE_STATUSES,
            retention_days=settings.RETENTION_DAYS,
            retention_due_at=anonymization_due_at(campaign=campaign),
            contact_data_remaining=(
                contact_data_remaining(campaign=campaign)
                if campaign.status == Campaign.Status.ARCHIVED
                else None
            ),
        ),
    )


@lead_view("own")
@require_POST
def archive(request, campaign, role):
    """An owner ends the campaign; its signers' contact data goes RETENTION_DAYS later."""
    lead_action(
        request,
        partial(campaign_archive, campaign=campaign, actor=request.user),
        ngettext(
            "Campaign archived. Signers' contact data will be anonymized in %(days)d day.",
            "Campaign archived. Signers' contact data will be anonymized in %(days)d days.",
            settings.RETENTION_DAYS,
        )
        % {"days": settings.RETENTION_DAYS},
    )
    return redirect("lead:dashboard", slug=campaign.slug)


@lead_view("own")
@require_POST
def anonymize(request, campaign, role):
    """An owner anonymizes an archived campaign's contact data without waiting."""
    lead_action(
        request,
        partial(
            campaign_contact_data_anonymize, campaign=campaign, actor=request.user, trigger="owner"
        ),
        lambda count: (
            ngettext(
                "Contact data of %(count)d signature anonymized.",
                "Contact data of %(count)d signatures anonymized.",
                count,
            )
            % {"count": count}
        ),
    )
    return redirect("lead:dashboard", slug=campaign.slug)


# --- Settings, status, letter, partner links ------------------------------------------------


@lead_view("edit")
def settings_edit(request, campaign, role):
    form = lead_forms.CampaignSettingsForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        # The form checked the values; the service saves and logs only what changed.
        fresh = Campaign.objects.get(pk=campaign.pk)
        campaign_update(campaign=fresh, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Settings saved."))
        return redirect("lead:settings", slug=campaign.slug)
    return render(request, "lead/settings.html", _context(campaign, role, "settings", form=form))


@lead_view("edit")
@require_POST
def status_change(request, campaign, role):
    status = request.POST.get("status", "")
    lead_action(
        request,
        partial(campaign_status_change, campaign=campaign, actor=request.user, status=status),
        _("Sign-on status changed."),
    )
    return redirect("lead:dashboard", slug=campaign.slug)


@lead_view("edit")
def letter(request, campaign, role):
    current = letter_version_current(campaign=campaign)
    has_signers = campaign.signatures.exists()
    initial = {"title": current.title, "body": current.body, "base_number": current.number}
    form = lead_forms.LetterEditForm(request.POST or None, initial=initial, has_signers=has_signers)
    preview = diff = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            draft = LetterVersion(title=data["title"], body=data["body"].replace("\r\n", "\n"))
            preview = render_markdown(draft.body, heading_offset=1)
            diff = letter_diff(current, draft)
        else:
            try:
                version = letter_edit(
                    campaign=campaign,
                    actor=request.user,
                    title=data["title"],
                    body=data["body"],
                    change=data.get("change") or "",
                    note=data["note"],
                    reconfirm_deadline=data.get("reconfirm_deadline"),
                    base_number=data["base_number"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, _("Saved as version %(number)d.") % {"number": version.number}
                )
                return redirect("lead:letter", slug=campaign.slug)
    return render(
        request,
        "lead/letter.html",
        _context(
            campaign,
            role,
            "letter",
            form=form,
            current=current,
            has_signers=has_signers,
            preview=preview,
            preview_title=form.cleaned_data.get("title") if preview is not None else "",
            diff=diff,
        ),
    )


@lead_view("view", post_ability="edit")
def partners(request, campaign, role):
    form = lead_forms.PartnerLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = partner_link_create(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, _("Partner link %(code)s created.") % {"code": link.code})
            return redirect("lead:partners", slug=campaign.slug)
    counts = {row["code"]: row for row in signatures_per_partner(campaign=campaign)}
    links = [
        (link, counts.get(link.code, {"total": 0, "listed": 0}))
        for link in campaign.partner_links.all()
    ]
    return render(
        request,
        "lead/partners.html",
        _context(
            campaign,
            role,
            "partners",
            form=form,
            links=links,
            no_link=counts.get("", {"total": 0, "listed": 0}),
            public_url=request.build_absolute_uri(campaign.get_absolute_url()),
        ),
    )


# --- Team -----------------------------------------------------------------------------------


@lead_view("view", post_ability="own")
def team(request, campaign, role):
    form = lead_forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            roles.invitation_create(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("lead:team", slug=campaign.slug)
    memberships = campaign.roles.select_related("user").order_by("role", "user__email")
    invitations = campaign.invitations.filter(
        accepted_at=None, cancelled_at=None, expires_at__gt=timezone.now()
    )
    return render(
        request,
        "lead/team.html",
        _context(
            campaign,
            role,
            "team",
            form=form,
            memberships=memberships,
            invitations=invitations,
            role_choices=CampaignRole.Role.choices,
        ),
    )


@lead_view("own")
@require_POST
def role_change(request, campaign, role, pk):
    membership = get_object_or_404(CampaignRole, pk=pk, campaign=campaign)
    try:
        if request.POST.get("remove"):
            roles.campaign_role_remove(campaign=campaign, actor=request.user, membership=membership)
            messages.success(request, _("Co-lead removed."))
        else:
            form = lead_forms.RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a role."))
            roles.campaign_role_change(
                campaign=campaign,
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
            )
            messages.success(request, _("Role changed."))
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    if (
        membership.user_id == request.user.pk
        and not CampaignRole.objects.filter(campaign=campaign, user=request.user).exists()
    ):
        return redirect("lead:home")
    return redirect("lead:team", slug=campaign.slug)


@lead_view("own")
@require_POST
def invitation_cancel(request, campaign, role, pk):
    invitation = get_object_or_404(CampaignInvitation, pk=pk, campaign=campaign)
    roles.invitation_cancel(campaign=campaign, actor=request.user, invitation=invitation)
    messages.success(request, _("Invitation cancelled."))
    return redirect("lead:team", slug=campaign.slug)


# --- Moderation -----------------------------------------------------------------------------


def _filter_form(request, campaign, role):
    states = (
        campaign.signatures.exclude(state="")
        .order_by("state")
        .values_list("state", flat=True)
        .distinct()
    )
    return lead_forms.SignatureFilterForm(
        request.GET or None,
        states=list(states),
        partners=list(campaign.partner_links.all()),
        include_contacts=can_see_contacts(role=role),
    )


def _queue_url(campaign, query: str) -> str:
    url = reverse("lead:signatures", kwargs={"slug": campaign.slug})
    return f"{url}?{query}" if query else url


@lead_view("view")
def signatures(request, campaign, role):
    filter_form = _filter_form(request, campaign, role)
    filters = filter_form.to_filter()
    matching = signatures_for_lead(
        campaign=campaign, filters=filters, include_contacts=can_see_contacts(role=role)
    )
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lead/signatures.html",
        _context(
            campaign,
            role,
            "signatures",
            filter_form=filter_form,
            page=page,
            query=query.urlencode(),
            is_filtered=filters != SignatureFilter(),
            bulk_form=lead_forms.BulkActionForm(),
            last_bulk=moderation.bulk_action_last(campaign=campaign),
            public_ids=set(
                signatures_public(campaign=campaign)
                .filter(pk__in=[s.pk for s in page.object_list])
                .values_list("pk", flat=True)
            ),
        ),
    )


@lead_view("edit")
@require_POST
def signatures_bulk(request, campaign, role):
    """Approve, reject or restore the checked rows or every row matching the filter.

    The filter travels in the query string, so acting on "all matching" posts no ids and
    stays far below DATA_UPLOAD_MAX_NUMBER_FIELDS whatever the number of rows.
    """
    query = request.GET.urlencode()
    form = lead_forms.BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(_queue_url(campaign, query))
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    if action == "merge":
        merge_url = reverse("lead:signatures-merge", kwargs={"slug": campaign.slug})
        return HttpResponseRedirect(f"{merge_url}?{urlencode({'ids': ids}, doseq=True)}")
    if form.cleaned_data["scope"] == "matching":
        filters = _filter_form(request, campaign, role).to_filter()
        selection = signatures_for_lead(
            campaign=campaign, filters=filters, include_contacts=can_see_contacts(role=role)
        )
    else:
        selection = Signature.objects.filter(campaign=campaign, pk__in=ids)
    service = {
        "approve": moderation.signatures_approve,
        "reject": moderation.signatures_reject,
        "restore": moderation.signatures_restore,
    }[action]
    result = service(campaign=campaign, actor=request.user, selection=selection)
    text = ngettext("%(count)d signature changed.", "%(count)d signatures changed.", result.changed)
    message = text % {"count": result.changed}
    if result.skipped:
        message += " " + ngettext(
            "%(count)d left as it was (not in a state this action applies to).",
            "%(count)d left as they were (not in a state this action applies to).",
            result.skipped,
        ) % {"count": result.skipped}
    messages.success(request, message)
    return HttpResponseRedirect(_queue_url(campaign, query))


@lead_view("edit")
def signatures_merge(request, campaign, role):
    source = request.POST if request.method == "POST" else request.GET
    try:
        ids = lead_forms.IdsField(required=False).clean(source.getlist("ids"))
    except ValidationError:
        ids = []
    form = lead_forms.MergeForm(request.POST or None)
    candidates = list(
        Signature.objects.filter(campaign=campaign, pk__in=ids).select_related("merged_into")
    )
    if request.method == "POST" and form.is_valid():
        by_id = {s.pk: s for s in candidates}
        survivor = by_id.get(form.cleaned_data["survivor"])
        if survivor is None:
            messages.error(request, _("Choose one of the listed entries to keep."))
        elif lead_action(
            request,
            partial(
                moderation.signatures_merge,
                campaign=campaign,
                actor=request.user,
                survivor=survivor,
                duplicates=[s for s in candidates if s.pk != survivor.pk],
            ),
            lambda result: (
                ngettext(
                    "%(count)d entry merged into %(name)s.",
                    "%(count)d entries merged into %(name)s.",
                    result.changed,
                )
                % {"count": result.changed, "name": survivor.public_name}
            ),
        ):
            return redirect("lead:signature", slug=campaign.slug, pk=survivor.pk)
    return render(
        request,
        "lead/merge.html",
        _context(campaign, role, "signatures", candidates=candidates, form=form),
    )


@lead_view("view", post_ability="edit")
def signature(request, campaign, role, pk):
    signature = get_object_or_404(
        Signature.objects.select_related("partner_link", "merged_into", "letter_version"),
        pk=pk,
        campaign=campaign,
    )
    form = lead_forms.SignatureEditForm(
        request.POST or None,
        initial={
            "display_name": signature.display_name,
            "is_lead_organization": signature.is_lead_organization,
        },
    )
    if request.method == "POST" and form.is_valid():
        moderation.signature_display_name_set(
            signature=signature, actor=request.user, display_name=form.cleaned_data["display_name"]
        )
        moderation.signature_lead_organization_set(
            signature=signature,
            actor=request.user,
            is_lead=form.cleaned_data["is_lead_organization"],
        )
        messages.success(request, _("Saved."))
        return redirect("lead:signature", slug=campaign.slug, pk=signature.pk)
    history = AuditEntry.objects.filter(
        campaign=campaign, target_type="signatories.signature", target_id=str(signature.pk)
    )[:20]
    return render(
        request,
        "lead/signature.html",
        _context(
            campaign,
            role,
            "signatures",
            signature=signature,
            form=form,
            merged=signature.merged.all(),
            is_public=signatures_public(campaign=campaign).filter(pk=signature.pk).exists(),
            history=history,
            action_labels=ACTION_LABELS,
        ),
    )


def _criteria(data) -> moderation.InvalidateCriteria:
    return moderation.InvalidateCriteria(
        domain=data.get("domain") or "",
        ip_hash=data.get("ip_hash") or "",
        created_from=data.get("created_from"),
        created_to=data.get("created_to"),
    )


@lead_view("edit")
def invalidate(request, campaign, role):
    """Look first (GET shows how many would be rejected), then act (POST with that number)."""
    groups = ip_hash_groups(campaign=campaign)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = lead_forms.InvalidateForm(data, ip_groups=groups)
    preview_count = sample = None
    if form.is_bound and form.is_valid():
        criteria = _criteria(form.cleaned_data)
        if request.method == "POST":
            try:
                result = moderation.signatures_invalidate(
                    campaign=campaign,
                    actor=request.user,
                    criteria=criteria,
                    expected_count=form.cleaned_data["expected_count"] or 0,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d signature invalidated.",
                        "%(count)d signatures invalidated.",
                        result.changed,
                    )
                    % {"count": result.changed},
                )
                return redirect("lead:signatures", slug=campaign.slug)
        matching = moderation.signatures_invalidation_matching(campaign=campaign, criteria=criteria)
        preview_count = matching.count()
        sample = list(matching.order_by("-created_at")[:20])
    return render(
        request,
        "lead/invalidate.html",
        _context(
            campaign,
            role,
            "signatures",
            form=form,
            preview_count=preview_count,
            sample=sample,
            ip_groups=groups,
        ),
    )


@lead_view("edit")
@require_POST
def undo(request, campaign, role):
    lead_action(
        request,
        partial(moderation.bulk_action_undo, campaign=campaign, actor=request.user),
        _undo_message,
    )
    return redirect("lead:signatures", slug=campaign.slug)


def _undo_message(result) -> str:
    message = ngettext(
        "Undone: %(count)d signature put back.",
        "Undone: %(count)d signatures put back.",
        result.changed,
    ) % {"count": result.changed}
    if result.skipped:
        message += " " + ngettext(
            "%(count)d had changed since and kept its newer state.",
            "%(count)d had changed since and kept their newer state.",
            result.skipped,
        ) % {"count": result.skipped}
    return message


@lead_view("edit")
def blocklist(request, campaign, role):
    form = lead_forms.BlockedDomainForm(request.POST if "add" in request.POST else None)
    if request.method == "POST":
        if "remove" in request.POST:
            remove = lead_forms.BlockedDomainRemoveForm(request.POST)
            blocked = remove.is_valid() and (
                BlockedDomain.objects.filter(
                    campaign=campaign, pk=remove.cleaned_data["remove"]
                ).first()
            )
            if blocked:
                moderation.blocked_domain_remove(
                    campaign=campaign, actor=request.user, blocked=blocked
                )
                messages.success(request, _("%(domain)s removed.") % {"domain": blocked.domain})
            else:
                messages.error(request, _("That domain is not on the blocklist (any more)."))
            return redirect("lead:blocklist", slug=campaign.slug)
        if form.is_valid():
            moderation.blocked_domain_add(
                campaign=campaign, actor=request.user, **form.cleaned_data
            )
            messages.success(
                request, _("%(domain)s blocked.") % {"domain": form.cleaned_data["domain"]}
            )
            return redirect("lead:blocklist", slug=campaign.slug)
    return render(
        request,
        "lead/blocklist.html",
        _context(campaign, role, "blocklist", form=form, blocked=campaign.blocked_domains.all()),
    )


# --- Audit log and export -------------------------------------------------------------------


@lead_view("view")
def audit_log(request, campaign, role):
    entries = AuditEntry.objects.filter(campaign=campaign).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "lead/audit.html",
        _context(campaign, role, "audit", page=page, action_labels=ACTION_LABELS),
    )


@lead_view("view")
@require_safe  # a download that is logged: other methods change nothing
def export_csv(request, campaign, role):
    include_contacts = can_see_contacts(role=role)
    filters = _filter_form(request, campaign, role).to_filter()
    selection = signatures_for_lead(
        campaign=campaign, filters=filters, include_contacts=include_contacts
    )
    rows = signatures_export_start(
        campaign=campaign,
        actor=request.user,
        signatures=selection,
        include_contacts=include_contacts,
        filters={k: v for k, v in filters.__dict__.items() if v},
    )
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-signers-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
