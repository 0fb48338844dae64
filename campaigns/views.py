from django.shortcuts import get_object_or_404, render

from .models import Campaign
from .selectors import campaigns_public, letter_version_current


def home(request):
    campaigns = list(campaigns_public())
    return render(
        request,
        "campaigns/home.html",
        {
            "open_campaigns": [c for c in campaigns if c.status == Campaign.Status.OPEN],
            "past_campaigns": [c for c in campaigns if c.status != Campaign.Status.OPEN],
        },
    )


def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "version": letter_version_current(campaign=campaign)},
    )
