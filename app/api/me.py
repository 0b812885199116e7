"""GET /api/v1/me: whose token this is, and what it may do."""

from __future__ import annotations

from flask.views import MethodView

from app.api import bearer, schemas
from app.api.blueprints import blueprint

blp = blueprint("api_me", __name__, "/me", "The account a token acts for")


@blp.route("")
class Me(MethodView):
    @blp.response(200, schemas.Me)
    def get(self):
        """The token's account, its scopes and its name. Any live token may ask."""
        caller = bearer.authenticate()
        return schemas.attributes(
            caller.user, scopes=caller.token.scope_list, token_name=caller.token.name
        )
