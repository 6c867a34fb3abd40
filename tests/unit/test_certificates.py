"""Issuing and verifying License Certificates, the test vectors, and license codes."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.licensing.certificates import (
    BadSignature,
    CertificateError,
    Claims,
    InvalidClaim,
    MalformedCertificate,
    MissingClaim,
    UnknownFormat,
    UnknownKey,
    issue_certificate,
    verify_certificate,
)
from app.licensing.codes import (
    LICENSE_CODE_ALPHABET,
    generate_license_code,
    is_license_code,
    normalize_license_code,
)
from app.licensing.extractor.certificate_format import (
    ARMOR_BEGIN,
    ARMOR_END,
    SIGNING_PREFIX,
    armor,
    dearmor,
    encode_claims,
)
from app.licensing.policy import Verdict
from tests.support.licensing import (
    CASES,
    VECTORS,
    new_keyring,
    paid_claims,
    regenerate_module,
    signed_document,
    signed_payload,
    trial_claims,
    vector_certificate,
    vector_claims,
    vector_public_keys,
)


@pytest.fixture
def ring():
    return new_keyring()


@pytest.fixture
def certificate(ring):
    return issue_certificate(paid_claims(), ring)


def test_issued_certificate_verifies_to_its_claims(ring, certificate):
    claims = verify_certificate(certificate, ring.public_keys())
    assert claims.to_dict() == {**paid_claims(), "format": 1, "key_id": ring.signing_key_id}
    assert claims.accounts == 100
    assert claims.issued_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_armor_lines_are_at_most_64_characters(certificate):
    lines = certificate.splitlines()
    assert lines[0] == ARMOR_BEGIN
    assert lines[-1] == ARMOR_END
    assert all(0 < len(line) <= 64 for line in lines[1:-1])
    assert certificate.endswith(ARMOR_END + "\n")


def test_every_single_byte_change_is_refused(ring, certificate):
    keys = ring.public_keys()
    body = certificate.rstrip("\n")  # trailing whitespace after the armor is tolerated by design
    for position, original in enumerate(body):
        for replacement in {chr(ord(original) ^ 1), " ", "\t", "\n", "\r", "=", "A", "/"} - {original}:
            changed = body[:position] + replacement + body[position + 1 :]
            with pytest.raises(CertificateError):
                verify_certificate(changed, keys)


@pytest.mark.parametrize(
    "reformat",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: "\n".join("    " + line for line in text.splitlines()),
        lambda text: "\n".join("\t" + line + "  " for line in text.splitlines()),
        lambda text: "\n\n   \r\n" + text + "\n\n  \n",
        lambda text: "\ufeff" + text,
    ],
    ids=["crlf", "indented", "tabs-and-trailing-spaces", "surrounding-blank-lines", "byte-order-mark"],
)
def test_copy_paste_damage_is_tolerated(ring, certificate, reformat):
    assert verify_certificate(reformat(certificate), ring.public_keys()).serial == 2


def test_bytes_and_shorter_lines_are_accepted(ring, certificate):
    encoded = "".join(certificate.splitlines()[1:-1])
    rewrapped = "\n".join(
        [ARMOR_BEGIN, *(encoded[i : i + 48] for i in range(0, len(encoded), 48)), ARMOR_END]
    )
    assert verify_certificate(rewrapped.encode("utf-8"), ring.public_keys()).serial == 2


def body_lines(certificate):
    return certificate.splitlines()[1:-1]


def with_body(lines):
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END])


ARMOR_DAMAGE = [
    ("empty", lambda cert: "  \n\n", "no certificate found: the text is empty"),
    ("no-begin", lambda cert: cert.replace(ARMOR_BEGIN, ""), f"no '{ARMOR_BEGIN}' line found"),
    (
        "text-before",
        lambda cert: "Your license:\n" + cert,
        f"unexpected text before the '{ARMOR_BEGIN}' line",
    ),
    ("no-end", lambda cert: cert.replace(ARMOR_END, ""), f"no '{ARMOR_END}' line found"),
    ("text-after", lambda cert: cert + "Thanks!\n", f"unexpected text after the '{ARMOR_END}' line"),
    ("two-certificates", lambda cert: cert + cert, "more than one certificate"),
    ("empty-body", lambda cert: with_body([]), "certificate body is empty"),
    (
        "blank-line",
        lambda cert: with_body(body_lines(cert)[:1] + [""] + body_lines(cert)[1:]),
        "line 2 of the",
    ),
    (
        "long-line",
        lambda cert: with_body(["".join(body_lines(cert)[:2]), *body_lines(cert)[2:]]),
        "longer than 64",
    ),
    (
        "bad-character",
        lambda cert: with_body(["*" + body_lines(cert)[0][1:], *body_lines(cert)[1:]]),
        "non-base64 '*'",
    ),
    (
        "truncated",
        lambda cert: with_body(body_lines(cert)[:-1] + [body_lines(cert)[-1][1:]]),
        "not valid base64",
    ),
]


@pytest.mark.parametrize(
    ("damage", "message"), [(d, m) for _, d, m in ARMOR_DAMAGE], ids=[i for i, _, _ in ARMOR_DAMAGE]
)
def test_damaged_armor_is_refused_with_a_precise_message(ring, certificate, damage, message):
    with pytest.raises(MalformedCertificate, match=message.replace("*", r"\*")):
        verify_certificate(damage(certificate), ring.public_keys())


def test_non_canonical_base64_is_refused():
    # "QR==" and "QQ==" both decode to b"A"; only the canonical spelling is accepted.
    assert dearmor(with_body(["QQ=="])) == b"A"
    with pytest.raises(MalformedCertificate, match="not canonical base64"):
        dearmor(with_body(["QR=="]))


def test_non_utf8_text_is_refused():
    with pytest.raises(MalformedCertificate, match="not UTF-8"):
        verify_certificate(b"\xff\xfe" + ARMOR_BEGIN.encode(), {})


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"x" * 10, "too short to hold claims and a signature"),
        (b"not json" + b"x" * 64, "not a valid JSON document"),
        (b'{"format":NaN}' + b"x" * 64, "not a valid JSON document"),
        (b'{"format":1,"format":1}' + b"x" * 64, "not a valid JSON document"),
        (b"[1]" + b"x" * 64, "must be a JSON object"),
    ],
)
def test_undecodable_claims_are_refused(ring, payload, message):
    with pytest.raises(MalformedCertificate, match=message):
        verify_certificate(armor(payload), ring.public_keys())


def test_unknown_format_version_is_refused(ring):
    text = signed_document({**paid_claims(), "format": 2, "key_id": ring.signing_key_id}, ring)
    with pytest.raises(UnknownFormat, match="unknown certificate format version 2 .this verifier reads 1."):
        verify_certificate(text, ring.public_keys())


def test_unknown_key_is_refused_and_named(ring, certificate):
    with pytest.raises(UnknownKey, match=f"unknown key '{ring.signing_key_id}'"):
        verify_certificate(certificate, new_keyring().public_keys())


def test_tampered_claims_fail_the_signature(ring, certificate):
    body = dearmor(certificate)
    tampered = body.replace(b'"accounts":100', b'"accounts":900')
    assert tampered != body
    with pytest.raises(BadSignature, match="does not match its contents"):
        verify_certificate(armor(tampered), ring.public_keys())


def test_signature_by_another_key_under_this_key_id_fails(ring):
    impostor = new_keyring()
    text = signed_document({**paid_claims(), "format": 1, "key_id": ring.signing_key_id}, impostor)
    with pytest.raises(BadSignature):
        verify_certificate(text, ring.public_keys())


def test_signature_without_the_domain_prefix_fails(ring):
    payload = encode_claims(Claims.from_dict({**paid_claims(), "format": 1, "key_id": ring.signing_key_id}))
    with pytest.raises(BadSignature):
        verify_certificate(armor(payload + ring.sign(payload)), ring.public_keys())


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("format", "missing the 'format' claim"),
        ("key_id", "missing the 'key_id' claim"),
        ("serial", "missing the 'serial' claim"),
        ("expires_at", "missing the 'expires_at' claim"),
        ("customer.email", "missing the 'customer.email' claim"),
        ("policy.pack_size", "missing the 'policy.pack_size' claim"),
    ],
)
def test_missing_claim_is_refused_by_name(ring, remove, message):
    document = {**paid_claims(), "format": 1, "key_id": ring.signing_key_id}
    *parents, name = remove.split(".")
    target = document
    for parent in parents:
        target[parent] = dict(target[parent])
        target = target[parent]
    del target[name]
    with pytest.raises(MissingClaim, match=message):
        verify_certificate(signed_document(document, ring), ring.public_keys())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "lifetime"}, "'kind' must be one of trial, paid"),
        ({"status": "paused"}, "'status' must be one of active, revoked"),
        ({"serial": 0}, "'serial' must be an integer of at least 1"),
        ({"accounts": "100"}, "'accounts' must be an integer"),
        ({"accounts": True}, "'accounts' must be an integer"),
        ({"issued_at": "2025-03-01 12:00:00"}, "'issued_at' must be a UTC time"),
        ({"issued_at": "2025-02-30T12:00:00Z"}, "'issued_at' must be a UTC time"),
        ({"expires_at": "2025-04-01T00:00:00Z"}, "'expires_at' must be set for a trial and null for a paid"),
        ({"supersedes": 2}, "'supersedes' must be lower than 'serial'"),
        ({"customer": "ops@example.com"}, "'customer' must be an object"),
        ({"seats": 5}, "unexpected claim 'seats'"),
    ],
)
def test_invalid_claim_is_refused_by_name(ring, change, message):
    document = {**paid_claims(), "format": 1, "key_id": ring.signing_key_id, **change}
    with pytest.raises(InvalidClaim, match=message):
        verify_certificate(signed_document(document, ring), ring.public_keys())


def test_certificate_signed_before_rotation_still_verifies(ring):
    old = issue_certificate(paid_claims(), ring)
    rotated = ring.rotated()
    new = issue_certificate(paid_claims(serial=3, supersedes=2), rotated)
    keys = rotated.public_keys()
    assert verify_certificate(old, keys).key_id != rotated.signing_key_id
    assert verify_certificate(new, keys).key_id == rotated.signing_key_id


def test_issue_refuses_claims_for_another_key(ring):
    with pytest.raises(InvalidClaim, match="'key_id' is 'feedfacefeedface' but the signing key needs"):
        issue_certificate({**paid_claims(), "key_id": "feedfacefeedface"}, ring)


def test_issue_refuses_invalid_claims(ring):
    with pytest.raises(ValueError, match="'kind' must be one of"):
        issue_certificate(paid_claims(kind="gift"), ring)


def test_build_claims_writes_utc_times_to_the_second():
    claims = paid_claims(
        issued_at=datetime(2025, 3, 1, 14, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2))),
        support_until=datetime(2026, 3, 1, 12, 0),  # naive, as SQLite returns it: already UTC
        customer_company="",
    )
    assert claims["issued_at"] == "2025-03-01T12:00:00Z"
    assert claims["support_until"] == "2026-03-01T12:00:00Z"
    assert claims["customer"]["company"] is None


def test_trial_expiry_and_policy_come_from_the_certificate(ring):
    claims = verify_certificate(issue_certificate(trial_claims(), ring), ring.public_keys())
    before, after = datetime(2025, 1, 31, 9, 29, 59, tzinfo=UTC), datetime(2025, 1, 31, 9, 30, tzinfo=UTC)
    assert not claims.is_expired(before)
    assert claims.is_expired(after)
    assert claims.apply_accounts_policy(26, before).verdict is Verdict.GRACE
    assert claims.apply_accounts_policy(0, after).verdict is Verdict.BLOCKED


def test_claims_round_trip_through_dicts():
    document = vector_claims("paid")
    assert Claims.from_dict(document).to_dict() == document


# -- test vectors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_vector_certificate_verifies_to_its_claims(case):
    claims = verify_certificate(vector_certificate(case), vector_public_keys())
    assert claims.to_dict() == vector_claims(case)


@pytest.mark.parametrize("case", CASES)
def test_vector_signing_input_is_prefix_and_canonical_claims(case):
    signing_input = bytes.fromhex((VECTORS / f"signing-input-{case}.hex").read_text())
    canonical = json.dumps(vector_claims(case), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert signing_input == SIGNING_PREFIX + canonical.encode("utf-8")
    assert dearmor(vector_certificate(case))[:-64] == canonical.encode("utf-8")


def test_vectors_regenerate_byte_for_byte():
    regenerate = regenerate_module()
    assert "TEST KEY" in (VECTORS / "test-signing-key.pem").read_text()
    assert regenerate.stale_files() == []
    ring = regenerate.vector_keyring()
    for case in CASES:
        assert issue_certificate(vector_claims(case), ring) == vector_certificate(case)


def test_signed_payload_helper_matches_issue(ring):
    payload = encode_claims(Claims.from_dict({**paid_claims(), "format": 1, "key_id": ring.signing_key_id}))
    assert signed_payload(payload, ring) == issue_certificate(paid_claims(), ring)


# -- license codes --------------------------------------------------------------------------------


def test_generated_codes_use_only_unambiguous_characters():
    codes = {generate_license_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert is_license_code(code)
        prefix, *groups = code.split("-")
        assert prefix == "HSL"
        assert [len(group) for group in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(LICENSE_CODE_ALPHABET)
    assert not set("01OIL") & set(LICENSE_CODE_ALPHABET)


def test_codes_are_normalized_for_lookup():
    assert normalize_license_code("  hsl-7k2q-m9xd-4rtp \n") == "HSL-7K2Q-M9XD-4RTP"
    assert normalize_license_code("HSL-7K2Q - M9XD-4RTP") == "HSL-7K2Q-M9XD-4RTP"
    assert is_license_code("hsl-7k2q-m9xd-4rtp")
    assert not is_license_code("HSL-7K2Q-M9XD-4RT0")
