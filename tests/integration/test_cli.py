"""The flask commands operators use: create-user, create-token, revoke-token."""

from __future__ import annotations

from tests.factories import make_commune, make_partner


def test_create_user_then_token_then_use_it(runner, db, client) -> None:
    make_commune(db)
    db.commit()
    created = runner.invoke(args=["create-user", "nguyen.an", "--role", "staff", "--commune",
                                  "cam-lo", "--password", "mat-khau-dai"])
    assert created.exit_code == 0, created.output
    result = runner.invoke(args=["create-token", "nguyen.an", "--label", "laptop"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("ps_") and len(token) > 40 and " " not in token
    response = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    prefix = token[:10]
    assert runner.invoke(args=["revoke-token", prefix]).exit_code == 0
    assert client.get("/api/v1/submissions",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["revoke-token", prefix]).exit_code != 0


def test_create_user_errors_name_the_option(runner, db) -> None:
    make_partner(db)
    db.commit()
    no_commune = runner.invoke(args=["create-user", "an", "--role", "surveyor",
                                     "--password", "mat-khau-dai"])
    assert no_commune.exit_code != 0 and "commune" in no_commune.output
    unknown = runner.invoke(args=["create-user", "an", "--role", "staff", "--commune", "nowhere",
                                  "--password", "mat-khau-dai"])
    assert "No commune nowhere" in unknown.output
    short = runner.invoke(args=["create-user", "viettel-1", "--role", "partner", "--partner",
                                "viettel", "--password", "short"])
    assert short.exit_code != 0 and "password" in short.output
    bad_role = runner.invoke(args=["create-user", "x1", "--role", "boss", "--password", "x" * 10])
    assert bad_role.exit_code != 0
    missing = runner.invoke(args=["create-token", "ghost"])
    assert missing.exit_code != 0 and "No user ghost" in missing.output
