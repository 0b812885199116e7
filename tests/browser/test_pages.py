"""Headless Chromium visits every page of the app at a laptop's width (1280 px) and a phone's
(390 px), and fails on what a person would notice, or a tool on their behalf.

Which pages: every GET route of app.url_map (but downloads and machine answers), so a new route is
visited without editing this file, plus a few states reached by a form (EXTRAS and STEPS: the
security question, the temporary password, a form with errors, an error page, richer views of one
page). Each route is opened as the first of anonymous, member, owner, admin that gets it with a 200
and no redirect; a route nobody gets that way must answer a redirect or 404, never an error. Path
arguments are filled from the dataset in walk_world.py: long and unbroken names, markup in names,
several rows in every table; a path argument the dataset does not name gets 1.

What fails a page, all reported in one message per page and width:
- horizontal overflow: `document.documentElement.scrollWidth > window.innerWidth`; the message
  names the outermost elements that stick out and the innermost ones that push them;
- any console error, uncaught page error, CSP violation or failed stylesheet/script/image
  (conftest.watch);
- any axe-core violation of the WCAG 2.0/2.1 A and AA rules or the best practices, any impact;
- a name's markup interpreted instead of shown as text.

How axe gets in without weakening the CSP check: the app's CSP allows no inline script, and
Playwright's add_script_tag (with path= or content=) inserts an inline <script>, which that CSP
blocks and reports as a violation. So axe is not added to the page's document: its source is
evaluated through the DevTools protocol (page.evaluate), which no CSP applies to, after the page
has loaded and run its own scripts under the app's real policy. The context keeps the app's CSP
(no bypass_csp), so every violation the page itself causes is still caught; anything reported
while axe runs is labelled as such.

Speed: one server, one dataset and one signed-in browser context per role serve the whole walk
(module-scoped `walk`); each test only resizes, navigates and checks. A screenshot of every
page and width goes to test-artifacts/pages/<width>/<role>/<page>.png (git-ignored, a CI artefact).
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.browser import walk_world
from tests.browser.conftest import serve, watch
from tests.factories import ANSWER, PASSWORD

pytestmark = pytest.mark.browser

PAGES = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
WIDTHS = {1280: 800, 390: 844}  # viewport width: height
ROLES = ("anonymous", "member", "owner", "admin")  # the order a route is tried in
NOT_PAGES = (".tsv", "/healthz")  # downloads and machine answers
# JSON for programs (the API, its document, SCIM): tests/api, tests/scim and test_security.
MACHINE = re.compile(r"^/(api/v1|scim/v2)(/|$)")
NOT_SHOWN_OK = {301, 302, 303, 400, 404, 410}  # what a route nobody may open directly answers


class Visit(NamedTuple):
    role: str
    path: str  # may name path arguments of the dataset: "/orgs/{slug}"
    status: int = 200
    # Reaches the page through forms instead of opening `path`; returns the last status.
    step: Callable | None = None


# ---- states reached through a form, and second views of a page -------------------------------


def _submit(page, field: str) -> int:
    """Submit the form holding `field` and wait for the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(f"form:has({field}) [type=submit]").first.click()
    return navigation.value.status


def _ask_question(page, base: str, args: dict) -> int:
    page.goto(f"{base}/forgot")
    page.fill("input[name=login]", args["forgetful"])
    return _submit(page, "input[name=login]")


def _recover(page, base: str, args: dict) -> int:
    page.goto(f"{base}/forgot")
    page.fill("input[name=login]", args["recovering"])
    _submit(page, "input[name=login]")
    page.fill("input[name=answer]", ANSWER)
    return _submit(page, "input[name=answer]")


def _signup_with_errors(page, base: str, args: dict) -> int:
    page.goto(f"{base}/signup")
    # The browser's own checks would stop an empty form; the server's messages are the point.
    page.eval_on_selector("form:has(input[name=username])", "form => { form.noValidate = true }")
    return _submit(page, "input[name=username]")


def _new_token(page, base: str, args: dict) -> int:
    page.goto(f"{base}/account/tokens")
    page.fill("input[name=name]", "Deploy" * 16)
    page.check("input[name=scopes][value='read:users']")
    return _submit(page, "input[name=name]")


def _token_with_errors(page, base: str, args: dict) -> int:
    page.goto(f"{base}/account/tokens")
    page.eval_on_selector("form:has(input[name=name])", "form => { form.noValidate = true }")
    page.fill("input[name=expires_in_days]", "0")
    return _submit(page, "input[name=name]")


STEPS = {"/forgot/answer": Visit("anonymous", "/forgot/answer", step=_ask_question)}
QUERIES = {"/admin/plans": "?org={slug}"}
EXTRAS = {
    "/orgs/<slug> as its owner": Visit("owner", "/orgs/{slug}"),
    "/invitations/<token> as the invitee": Visit("member", "/invitations/{member_token}"),
    "first sign-in of an admin-made account": Visit("newcomer", "/"),
    "signup with errors": Visit("anonymous", "/signup", 422, _signup_with_errors),
    "temporary password": Visit("anonymous", "/forgot/answer", step=_recover),
    "not found, signed in": Visit("member", "/no-such-page", 404),
    "new API token, shown once": Visit("member", "/account/tokens", step=_new_token),
    "API token form with errors": Visit("member", "/account/tokens", 422, _token_with_errors),
}


# ---- which pages -------------------------------------------------------------------------------


def _page_rules(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and rule.endpoint != "static"
        and not rule.rule.endswith(NOT_PAGES)
        and not MACHINE.match(rule.rule)
    )


def pytest_generate_tests(metafunc) -> None:
    """One test per page and width, named like "390:/admin/users"."""
    if "visit_name" not in metafunc.fixturenames:
        return
    from app import create_app
    from tests.conftest import base_config

    app = create_app(base_config("sqlite://", tempfile.gettempdir()))  # never connects
    names = _page_rules(app) + list(EXTRAS)
    cases = [(width, name) for width in WIDTHS for name in names]
    metafunc.parametrize(("width", "visit_name"), cases, ids=[f"{w}:{n}" for w, n in cases])


def _fill(app, rule: str, args: dict) -> str:
    """The rule's path with its arguments from the dataset ("endpoint.arg" before "arg")."""
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule)

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(args.get(f"{endpoint}.{name}", args.get(name, 1)))

    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", value, rule)
    return path + QUERIES.get(rule, "").format(**args)


def _first_viewer(contexts: dict, url: str) -> tuple[str | None, dict[str, int]]:
    """The first role that gets `url` with a 200 and no redirect, and what each role got."""
    statuses = {}
    for role in ROLES:
        status = contexts[role].request.get(url, max_redirects=0).status
        statuses[role] = status
        if status == 200:
            return role, statuses
    return None, statuses


# ---- the shared walk ---------------------------------------------------------------------------


class Walk(NamedTuple):
    base: str
    args: dict
    visits: dict[str, Visit]  # by test name; a route nobody may open is missing
    unseen: dict[str, dict[str, int]]  # route -> status per role
    pages: dict  # role -> Playwright page, signed in
    problems: dict[str, list[str]]  # role -> what conftest.watch collected


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, "input[name=password]")
    assert "/login" not in page.url, f"{username} could not sign in"


@pytest.fixture(scope="module")
def walk(browser, database):
    # One line per request and asset would bury each failure's message.
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    try:
        yield from _walk(browser, database)
    finally:
        requests_log.setLevel(level)


def _walk(browser, database):
    with serve(database, walk_world.sso_overrides()) as server:
        world = walk_world.build(server.app)
        contexts = {role: browser.new_context() for role in (*ROLES, "newcomer")}
        try:
            pages, problems = _sign_in_everyone(contexts, server.url, world.users)
            visits, unseen = _plan(server.app, server.url, contexts, world.args)
            yield Walk(server.url, world.args, visits, unseen, pages, problems)
        finally:
            for context in contexts.values():
                context.close()


def _sign_in_everyone(contexts: dict, base: str, users: dict) -> tuple[dict, dict]:
    """A watched page per role, signed in as that role's person."""
    pages, problems = {}, {}
    for role, context in contexts.items():
        pages[role] = context.new_page()
        pages[role].set_default_timeout(15_000)
        problems[role] = watch(pages[role])
        if role != "anonymous":
            _sign_in(pages[role], base, users[role])
    return pages, problems


def _plan(app, base: str, contexts: dict, args: dict) -> tuple[dict, dict]:
    """What each test visits, and what the routes nobody may open answered to each role."""
    visits: dict[str, Visit] = {}
    unseen = {}
    for rule in _page_rules(app):
        if rule in STEPS:
            visits[rule] = STEPS[rule]
            continue
        path = _fill(app, rule, args)
        role, statuses = _first_viewer(contexts, base + path)
        if role is None:
            unseen[rule] = statuses
        else:
            visits[rule] = Visit(role, path)
    for name, visit in EXTRAS.items():
        visits[name] = visit._replace(path=visit.path.format(**args))
    nobody = set(ROLES) - {visit.role for visit in visits.values()}
    assert not nobody, f"no page was visited as {nobody}: is signing in broken?"
    return visits, unseen


# ---- what is checked on each page --------------------------------------------------------------

# Elements reaching past the right edge of the viewport that no scrolling or clipping box
# contains, widest first: the outermost (what sticks out) and the innermost (what pushes).
OVERFLOW = """() => {
  const root = document.documentElement, limit = window.innerWidth;
  if (root.scrollWidth <= limit) return null;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    return false;
  };
  const step = el => {
    let s = el.localName + (el.id ? '#' + el.id : '');
    if (!el.id) s += [...el.classList].slice(0, 2).map(c => '.' + c).join('');
    const twins = el.parentElement ? [...el.parentElement.children]
      .filter(c => c.localName === el.localName) : [];
    if (!el.id && twins.length > 1) s += `:nth-of-type(${twins.indexOf(el) + 1})`;
    return s;
  };
  const selector = el => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 5; e = e.parentElement)
      parts.unshift(step(e));
    return parts.join(' > ');
  };
  const out = [...document.body.querySelectorAll('*')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > limit + 0.5 && !clipped(el);
  });
  const set = new Set(out);
  const describe = el => {
    const box = el.getBoundingClientRect();
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    return `${selector(el)} (right edge ${Math.round(box.right)} px, ${Math.round(box.width)} px`
      + ` wide${text ? ', "' + text + '"' : ''})`;
  };
  const widest = els => els.sort((a, b) => b.getBoundingClientRect().width
    - a.getBoundingClientRect().width).slice(0, 4).map(describe);
  return {
    width: root.scrollWidth, limit,
    outer: widest(out.filter(el => !set.has(el.parentElement))),
    inner: widest(out.filter(el => ![...el.children].some(c => set.has(c)))),
  };
}"""

# The one region axe leaves out: /api/docs's Swagger UI, vendored as it is (its controls nest
# buttons and some of its colours are faint; docs/decisions.md). The page around it is checked.
AXE_RUN = """options => axe.run(
  document.querySelector('[data-third-party]') ? {exclude: [['[data-third-party]']]} : document,
  options,
).then(result => result.violations.map(v => (
  `axe ${v.id} (${v.impact}): ${v.help}; ${v.nodes.length} element(s): `
  + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | ')
)))"""

# Names in the dataset carry <script>x</script>, <b>markup</b> and <i>site</i>.
INTERPRETED = """() => [...document.scripts].some(s => s.text === 'x')
  || [...document.querySelectorAll('b, i')].some(e => ['markup', 'site'].includes(e.textContent))"""


def _overflow(page) -> list[str]:
    found = page.evaluate(OVERFLOW)
    if found is None:
        return []
    return [
        f"overflow: the page is {found['width']} px wide in a {found['limit']} px viewport",
        *(f"  sticks out: {line}" for line in found["outer"]),
        *(f"  pushes: {line}" for line in found["inner"]),
    ]


def _axe(page) -> list[str]:
    page.evaluate(_axe_source())
    return page.evaluate(AXE_RUN, AXE_OPTIONS)


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


def _screenshot(page, width: int, role: str, name: str) -> None:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "root"
    target = PAGES / str(width) / role / f"{stem}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def _open(page, walk: Walk, visit: Visit) -> int:
    if visit.step is not None:
        status = visit.step(page, walk.base, walk.args)
    else:
        response = page.goto(walk.base + visit.path)
        status = response.status if response else 0
    # Let tasks queued during load run (a CSP violation event is one), so what they report
    # arrives before the checks begin.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))")
    return status


def test_page(walk, width, visit_name):
    visit = walk.visits.get(visit_name)
    if visit is None:
        # A route nobody may open directly is a step of a flow begun elsewhere: it redirects
        # or answers 404, never an error.
        statuses = walk.unseen[visit_name]
        assert set(statuses.values()) <= NOT_SHOWN_OK, (visit_name, statuses)
        return
    page, problems = walk.pages[visit.role], walk.problems[visit.role]
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    problems.clear()
    status = _open(page, walk, visit)
    _screenshot(page, width, visit.role, visit_name)
    failures = [f"answered {status}, expected {visit.status}"] if status != visit.status else []
    failures += _overflow(page)
    if page.evaluate(INTERPRETED):
        failures.append("markup in a name was interpreted instead of shown as text")
    loaded = len(problems)
    failures = problems[:loaded] + failures + _axe(page)
    failures += [f"while axe ran: {problem}" for problem in problems[loaded:]]
    assert not failures, (
        f"{visit_name} at {width} px as {visit.role} ({visit.path}):\n  " + "\n  ".join(failures)
    )
