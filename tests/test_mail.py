from email import message_from_bytes

from django.core.mail import EmailMessage

from config.mail import EmlFileBackend


def test_development_mailer_writes_one_eml_file_per_message(tmp_path, caplog):
    backend = EmlFileBackend(alias="default", file_path=str(tmp_path / "mail"))
    messages = [
        EmailMessage("Confirm your signature", "Body é", "from@example.org", ["a@example.org"]),
        EmailMessage("Second", "Body", "from@example.org", ["b@example.org"]),
    ]
    with caplog.at_level("INFO", logger="config.mail"):
        assert backend.send_messages(messages) == 2
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    parsed = {message_from_bytes(f.read_bytes())["Subject"] for f in files}
    assert parsed == {"Confirm your signature", "Second"}
    # The console says where each message went, without naming the recipient.
    assert "Email written to" in caplog.text
    assert "a@example.org" not in caplog.text
