"""The classic attacks on a SAML service provider, each made from a genuine response signed by
the real identity provider and then tampered with here (lxml). Every one answers the failure
page with 400, is audited as sso.failed, and signs nobody in."""

from __future__ import annotations

import copy
import subprocess
from datetime import timedelta

import pytest
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from sqlalchemy import func, select

from app.extensions import db, utcnow
from app.models import FederatedIdentity, SsoRequest, User, UserSession
from tests.sso_saml.conftest import decode, encode, failures

NS = {"samlp": Saml.NS_SAMLP, "saml": Saml.NS_SAML, "ds": Saml.NS_DS}


def tree(fields: dict) -> etree._Element:
    return etree.fromstring(decode(fields))


def xml(root: etree._Element) -> bytes:
    return etree.tostring(root)


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, path
    return found[0]


def uid_value(element: etree._Element) -> etree._Element:
    return one(element, ".//saml:Attribute[@Name='uid']/saml:AttributeValue")


def refused(response, kind: str | None = None) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "That sign-in did not work" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert db.session.scalar(select(func.count()).select_from(FederatedIdentity)) == 0
    details = failures()
    assert details, "the refusal was not audited"
    if kind is not None:
        assert details[-1].startswith(f"{kind}:"), details


def test_signature_wrapping_is_refused(saml_sign_in, post_acs):
    """XSW: the signed assertion is hidden inside an evil unsigned one that names alice."""
    root = tree(saml_sign_in("mallory"))
    signed = one(root, "saml:Assertion")
    evil = copy.deepcopy(signed)
    evil.set("ID", "_evil" + signed.get("ID"))
    evil.remove(one(evil, "ds:Signature"))
    uid_value(evil).text = "alice"
    one(evil, "saml:Subject/saml:NameID").text = "alice"
    root.replace(signed, evil)
    evil.insert(1, signed)  # after the Issuer: the signature still verifies over the original
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_signed_assertion_moved_into_the_signature_object_is_refused(saml_sign_in, post_acs):
    root = tree(saml_sign_in("mallory"))
    signed = one(root, "saml:Assertion")
    evil = copy.deepcopy(signed)
    evil.set("ID", "_evil" + signed.get("ID"))
    uid_value(evil).text = "alice"
    root.replace(signed, evil)
    obj = etree.SubElement(one(evil, "ds:Signature"), f"{{{Saml.NS_DS}}}Object")
    obj.append(signed)
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_an_extra_unsigned_assertion_is_refused(saml_sign_in, post_acs):
    root = tree(saml_sign_in("mallory"))
    signed = one(root, "saml:Assertion")
    extra = copy.deepcopy(signed)
    extra.set("ID", "_extra" + signed.get("ID"))
    extra.remove(one(extra, "ds:Signature"))
    uid_value(extra).text = "alice"
    signed.addprevious(extra)
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_comment_in_the_uid_never_truncates_it(saml_sign_in, post_acs, client):
    """mallory's uid is "alice.evil": a comment after "alice" keeps the signature valid (C14N
    drops comments), and a vulnerable SP would read only "alice". We read the whole text."""
    alice = post_acs(saml_sign_in("alice"))
    assert alice.status_code == 303
    alice_id = db.session.scalars(select(FederatedIdentity.user_id)).one()
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    root = tree(saml_sign_in("mallory"))
    value = uid_value(one(root, "saml:Assertion"))
    assert value.text == "alice.evil"
    value.text = "alice"
    value.append(etree.Comment(""))
    value[-1].tail = ".evil"
    response = post_acs(encode(saml_sign_in.last, xml(root)))
    db.session.expire_all()
    rows = db.session.execute(select(FederatedIdentity.subject, FederatedIdentity.user_id))
    subjects = {subject: user_id for subject, user_id in rows}
    if response.status_code == 400:  # refusing it is as good as reading it whole
        assert set(subjects) == {"alice"}
    else:
        assert response.status_code == 303
        assert subjects["alice.evil"] != alice_id
        mallory = db.session.get(User, subjects["alice.evil"])
        assert mallory is not None and mallory.email == "mallory@example.org"


def test_a_replayed_response_is_refused(app, saml_sign_in, post_acs):
    """The attacker replays from another browser (a second client, without the cookie)."""
    fields = saml_sign_in("alice")
    assert post_acs(fields).status_code == 303
    again = post_acs(fields, client=app.test_client())
    assert again.status_code == 400
    assert failures()[-1].startswith("unknown request:")


def test_a_replayed_assertion_is_refused_even_with_its_request_outstanding(
    app, saml_sign_in, post_acs
):
    """The request id is single use; should it be outstanding again, the assertion id is
    still accepted only once."""
    fields = saml_sign_in("alice")
    request_id = tree(fields).get("InResponseTo")
    assert post_acs(fields).status_code == 303
    db.session.add(
        SsoRequest(id=request_id, provider="corp-saml", expires_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    again = post_acs(fields, client=app.test_client())
    assert again.status_code == 400
    assert failures()[-1].startswith("replay:")


def test_a_response_for_another_audience_and_recipient_is_refused(saml_sign_in, post_acs):
    """Genuinely signed, but for corp-saml: other-saml (the same IdP) must not accept it even
    with a request of its own outstanding under that id, so python3-saml's checks refuse it."""
    fields = saml_sign_in("alice")
    request = db.session.get(SsoRequest, tree(fields).get("InResponseTo"))
    assert request is not None
    request.provider = "other-saml"
    db.session.commit()
    refused(post_acs(fields, provider="other-saml"), "invalid response")


@pytest.fixture(scope="module")
def untrusted_key(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("untrusted")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=not-the-idp", "-keyout", str(folder / "k"), "-out", str(folder / "c")],
        check=True, capture_output=True,
    )  # fmt: skip
    return (folder / "k").read_text(), (folder / "c").read_text()


def audience_edited(fields: dict) -> tuple[etree._Element, etree._Element]:
    root = tree(fields)
    assertion = one(root, "saml:Assertion")
    one(assertion, ".//saml:Audience").text = "https://elsewhere.example.com/sp"
    uid_value(assertion).text = "alice"
    return root, assertion


def test_an_edited_assertion_signed_with_an_untrusted_key_is_refused(
    saml_sign_in, post_acs, untrusted_key
):
    root, assertion = audience_edited(saml_sign_in("mallory"))
    assertion.remove(one(assertion, "ds:Signature"))
    key, cert = untrusted_key
    resigned = OneLogin_Saml2_Utils.add_sign(
        xml(assertion), key, cert, sign_algorithm=Saml.RSA_SHA256, digest_algorithm=Saml.SHA256
    )
    root.replace(assertion, etree.fromstring(resigned))
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_an_edited_unsigned_assertion_is_refused(saml_sign_in, post_acs):
    root, assertion = audience_edited(saml_sign_in("mallory"))
    assertion.remove(one(assertion, "ds:Signature"))
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_an_edited_signed_assertion_is_refused(saml_sign_in, post_acs):
    root, _ = audience_edited(saml_sign_in("mallory"))
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "invalid response")


def test_an_expired_response_is_refused(saml_sign_in, post_acs, monkeypatch):
    """The SP's clock is moved an hour on (python3-saml reads OneLogin_Saml2_Utils.now):
    past the assertion's NotOnOrAfter (SimpleSAMLphp gives five minutes)."""
    fields = saml_sign_in("alice")
    later = OneLogin_Saml2_Utils.now() + 3600
    monkeypatch.setattr(OneLogin_Saml2_Utils, "now", staticmethod(lambda: later))
    refused(post_acs(fields), "invalid response")


def test_an_unknown_in_response_to_is_refused(saml_sign_in, post_acs):
    root = tree(saml_sign_in("alice"))
    root.set("InResponseTo", "_not-one-of-ours")  # the Response itself is not signed
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "unknown request")


def test_an_unsolicited_response_is_refused(saml_sign_in, post_acs):
    root = tree(saml_sign_in("alice"))
    del root.attrib["InResponseTo"]
    refused(post_acs(encode(saml_sign_in.last, xml(root))), "unsolicited")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({}, "no response"),
        ({"SAMLResponse": "%%% not base64 %%%"}, "malformed"),
        ({"SAMLResponse": "PGZvbz4="}, "malformed"),  # <foo>
    ],
)
def test_a_missing_or_garbled_response_is_refused(client, data, kind):
    refused(client.post("/auth/saml/corp-saml/acs", data=data), kind)
