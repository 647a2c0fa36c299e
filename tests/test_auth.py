"""Login: the Chinese page, redirects, wrong passwords, inactive accounts, CSRF, logout."""
from __future__ import annotations

from app import create_app
from models import User, db
from tests.conftest import PASSWORD, csrf_token, login, make_user


def test_anonymous_admin_request_redirects_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/"
    response = client.get("/admin/problem/?page=2")
    assert response.headers["Location"].startswith("/login?next=")


def test_login_page_is_chinese_with_username_and_password_fields(client):
    page = client.get("/login").text
    assert "登录" in page and "用户名" in page and "密码" in page
    assert 'name="username"' in page and 'name="password"' in page
    assert 'name="csrf_token"' in page


def test_admin_logs_in_and_returns_where_they_were_going(client, seeded):
    make_user(seeded, "admin", "admin")
    page = client.get("/login?next=/admin/unit/")
    response = client.post("/login?next=/admin/unit/", data={"username": "admin", "password": PASSWORD,
                                                            "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/unit/"
    assert client.get("/admin/unit/").status_code == 200
    with seeded.app_context():
        assert db.session.query(User).filter_by(username="admin").one().last_login_at is not None


def test_login_never_redirects_to_another_site(client, seeded):
    make_user(seeded, "admin", "admin")
    page = client.get("/login")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(f"/login?next={target}", data={"username": "admin", "password": PASSWORD,
                                                              "csrf_token": csrf_token(page.text)})
        assert response.headers["Location"] == "/admin/", target
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})


def test_wrong_password_gets_a_chinese_message(client, seeded):
    make_user(seeded, "admin", "admin")
    response = login(client, "admin", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/admin/").status_code == 302


def test_unknown_user_gets_the_same_message(client):
    response = login(client, "nobody", "whatever-123")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_inactive_user_cannot_log_in(client, seeded):
    make_user(seeded, "old", "coordinator")
    with seeded.app_context():
        db.session.query(User).filter_by(username="old").one().active = False
        db.session.commit()
    response = login(client, "old")
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_deactivated_user_loses_the_session(admin_client, seeded):
    with seeded.app_context():
        db.session.query(User).filter_by(username="admin").one().active = False
        db.session.commit()
    assert admin_client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused_in_chinese(client, seeded):
    make_user(seeded, "admin", "admin")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text and "刷新" in response.text
    assert client.get("/admin/").status_code == 302


def test_empty_login_form_is_refused_in_chinese(client):
    page = client.get("/login")
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    assert "请输入用户名" in response.text


def test_logout(admin_client):
    page = admin_client.get("/admin/")
    response = admin_client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert admin_client.get("/admin/").status_code == 302


def test_passwords_are_stored_hashed_with_scrypt(seeded):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": seeded.config["SQLALCHEMY_DATABASE_URI"]})
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    make_user(app, "admin", "admin")
    with app.app_context():
        user = db.session.query(User).filter_by(username="admin").one()
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password(PASSWORD) and not user.check_password("wrong-password")
        db.engine.dispose()
