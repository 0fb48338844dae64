"""Background work for sign-on: thin tasks that load ids and call a service."""

from django.tasks import task


@task
def send_signer_email(*, signature_id: int) -> str:
    from .services import signer_email_send  # services enqueue this task

    return signer_email_send(signature_id=signature_id)


@task
def campaign_contact_data_anonymize(*, campaign_id: int) -> int:
    """Queued daily by `signon_housekeeping` for each campaign past its retention period."""
    from .retention import campaign_contact_data_anonymize_if_due

    return campaign_contact_data_anonymize_if_due(campaign_id=campaign_id)


@task
def send_data_request_email(*, signature_id: int) -> str:
    """Mail the owner of a signature's address the links to their data (copy, erasure)."""
    from .data_requests import data_request_email_send

    return data_request_email_send(signature_id=signature_id)


@task
def send_data_copy(*, signature_id: int) -> str:
    """Mail the owner of a signature's address everything held about that address."""
    from .data_requests import data_copy_send

    return data_copy_send(signature_id=signature_id)
