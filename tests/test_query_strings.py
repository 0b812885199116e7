"""Hostile query strings and ids: every GET page answers below 500 whatever its arguments hold.

The form fuzzing (test_fuzz_forms.py) covers POST bodies; this covers what pages read from the
query string, and ids too large for any row in URLs and query strings.
"""

from __future__ import annotations

import pytest

PARAMETERS = (
    "page",
    "per_page",
    "sort",
    "q",
    "user",
    "action",
    "start",
    "end",
    "org",
    "next",
    "email",
    "session_id",
)
VALUES = (
    "abc",
    "-1",
    "99999999999999999999",
    "\x00",
    "<script>x</script>",
    "0001-01-01",
    "9999-12-31",
)


def get_pages(app) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
            and "<" not in rule.rule
            and not rule.rule.startswith("/static")
        }
    )


def test_no_query_argument_breaks_a_page(client, app, admin, login_as):
    login_as(admin)  # an administrator reaches every page, so every page's arguments are read
    broken = []
    for path in get_pages(app):
        for name in PARAMETERS:
            for value in VALUES:
                response = client.get(path, query_string={name: value})
                response.get_data()
                response.close()  # streamed exports must be finished before the next request
                if response.status_code >= 500:
                    broken.append((path, name, value, response.status_code))
    assert broken == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/99999999999999999999/edit",
        "/admin/sessions?user=99999999999999999999",
        "/admin/plans?user=99999999999999999999",
        "/projects/2147483648/edit",
    ],
)
def test_an_id_no_row_can_have_is_not_found(client, admin, login_as, url):
    login_as(admin)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/orgs/%00", "/admin/plans?org=%00", "/admin/users?q=a%00b"])
def test_a_nul_in_the_address_is_a_bad_request(client, admin, login_as, url):
    login_as(admin)
    assert client.get(url).status_code == 400


def test_statistics_refuse_dates_before_anything_was_recorded(client, admin, login_as):
    login_as(admin)
    response = client.get("/admin/stats", query_string={"end": "0001-01-01"})
    assert response.status_code == 422
    assert "Choose a date from 2000-01-01 on." in response.get_data(as_text=True)
    assert client.get("/admin/stats.tsv", query_string={"end": "0001-01-01"}).status_code == 400
