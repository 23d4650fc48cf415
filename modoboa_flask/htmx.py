"""Helpers for answering htmx (2.x) requests."""

from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    """True for any request htmx made (boosted or not)."""
    return request.headers.get("HX-Request") == "true"


def is_partial_request() -> bool:
    """True when htmx will swap the response into part of the page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"  # boosted navigation swaps <body>: send the page
        and headers.get("HX-History-Restore-Request") != "true"  # history miss needs the page
    )


def render_page_or_fragment(page: str, fragment: str, **context):
    """Render *fragment* for partial htmx requests and *page* otherwise."""
    template = fragment if is_partial_request() else page
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")  # same URL, two bodies: keep caches apart
    return response


def hx_redirect(url: str):
    """Send the browser to *url*: HX-Redirect for htmx, a 303 otherwise."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
