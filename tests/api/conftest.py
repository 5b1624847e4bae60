import pytest


@pytest.fixture
def api(app, jwt):
    """api(username, method, url, **kwargs) -> the response to a call with that user's JWT."""
    tokens = {}  # one sign-in per user: the login is rate limited

    def call(username, method, url, **kwargs):
        if username not in tokens:
            tokens[username] = jwt(username)
        return app.test_client().open(url, method=method, headers=tokens[username], **kwargs)

    return call
