from tests.support.http import messages, signup


def test_signup_by_its_emailed_link_and_dashboard(app, client):
    signup(client, email="ann@example.com")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Bakery Bliss" in page
    assert "Please verify your email address" not in page  # the sign-up link proved the address
    [message] = messages(app)
    assert (message.kind, message.recipient, message.status.value) == ("signup", "ann@example.com", "sent")
