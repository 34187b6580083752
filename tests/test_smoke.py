from tests.support.http import messages, signup, verify


def test_signup_verify_and_dashboard(app, client):
    signup(client, email="ann@example.com")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Bakery Bliss" in page
    assert "Please verify your email address" in page
    [message] = messages(app, kind="verification")
    assert message.recipient == "ann@example.com"
    assert message.status.value == "sent"
    assert verify(client, app, "ann@example.com").status_code == 302
    assert "Please verify your email address" not in client.get("/dashboard").get_data(as_text=True)
