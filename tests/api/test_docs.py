"""The OpenAPI document and the offline documentation page."""

import re

from modoboa_flask.blueprints.api.registry import OPERATIONS


def test_document_lists_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")  # public: no token needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.json
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/api/v1"}]
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert len(documented) == len(OPERATIONS) == 26


def test_document_describes_bodies_errors_and_paging(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    assert schemas["DomainCreate"]["required"] == ["name", "quota"]
    assert "password" in schemas["AccountCreate"]["required"]
    assert "password" not in schemas["AccountUpdate"].get("required", [])
    assert "password" not in schemas["Account"]["properties"]  # never in a response
    assert schemas["Mailbox"]["required"] == ["full_address", "quota"]
    listing = doc["paths"]["/accounts/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert names == {"domain", "page", "page_size", "search"}
    assert set(listing["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}
    post = doc["paths"]["/domains/"]["post"]
    assert {"201", "400", "401", "403"} <= set(post["responses"])
    assert doc["components"]["securitySchemes"]["TokenAuth"]["name"] == "Authorization"


def test_docs_page_is_offline_and_without_inline_script(client):
    response = client.get("/docs/api/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in html and "https://" not in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    js = client.get("/static/js/api-docs.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in js and "validatorUrl: null" in js
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
