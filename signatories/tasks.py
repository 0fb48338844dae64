"""Background work for sign-on: thin tasks that load ids and call a service."""

from django.tasks import task


@task
def send_signer_email(*, signature_id: int) -> str:
    from .services import signer_email_send  # services enqueue this task

    return signer_email_send(signature_id=signature_id)
