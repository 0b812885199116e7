"""How a request's transaction ends: COMMIT when it only read (psycopg keeps its prepared
statements), otherwise ROLLBACK — a write the view did not commit never reaches the database.
Whether it wrote is a flag the session sets as it writes (app/transactions.py), not a guess from
the SQL text."""

from __future__ import annotations

from sqlalchemy import select, text, update

from app.extensions import db
from app.models import User
from app.transactions import only_read


def name_of(user_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.display_name).where(User.id == user_id))


def test_a_request_that_only_read_ends_with_commit(app, make_user):
    user_id = make_user("alice").id
    with app.app_context():
        db.session.scalar(select(User).where(User.id == user_id))
        assert only_read(db.session())
    with app.app_context():
        assert not only_read(db.session())  # nothing ran: nothing to commit


def test_uncommitted_writes_are_rolled_back(app, make_user):
    user_id = make_user("alice", display_name="Alice").id
    with app.app_context():  # a statement that writes
        db.session.execute(update(User).where(User.id == user_id).values(display_name="Core"))
        assert not only_read(db.session())
    assert name_of(user_id) == "Alice"
    with app.app_context():  # a change flushed by a later query
        db.session.get(User, user_id).display_name = "Flushed"
        db.session.scalar(select(User.id).where(User.display_name == "Flushed"))
        assert not only_read(db.session())
    assert name_of(user_id) == "Alice"
    with app.app_context():  # a change still pending
        db.session.get(User, user_id).display_name = "Pending"
        assert not only_read(db.session())
    assert name_of(user_id) == "Alice"
    with app.app_context():  # SQL the session cannot read as a SELECT counts as a write
        db.session.execute(
            text("UPDATE users SET display_name = 'Text' WHERE id = :id"), {"id": user_id}
        )
        assert not only_read(db.session())
    assert name_of(user_id) == "Alice"
    with app.app_context():  # a locking read only reads: COMMIT releases its locks as ROLLBACK does
        db.session.execute(select(User.id).with_for_update())
        assert only_read(db.session())


def test_a_failed_request_is_never_committed(app, make_user):
    user_id = make_user("alice", display_name="Alice").id
    ctx = app.app_context()
    ctx.push()
    db.session.get(User, user_id).display_name = "Half done"
    ctx.pop(RuntimeError("the view failed"))
    assert name_of(user_id) == "Alice"


def test_pages_that_sweep_sessions_only_read_when_nothing_expired(app, client, admin, login_as):
    """Pages that end expired sessions first must still count as reads when there was nothing
    to end: ended with ROLLBACK, PostgreSQL planned the session lookup on every request."""
    login_as(admin)
    pages = ["/", "/admin/", "/admin/users", "/admin/sessions", "/account/sessions"]
    for page in pages:
        # The tests' app context outlives each request, so end the transaction here and look
        # at what the request left in the next one, as the request's own teardown would.
        db.session.commit()
        assert client.get(page).status_code == 200
        assert only_read(db.session()), page
