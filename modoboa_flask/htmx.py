"""Helpers for answering htmx (2.x) requests: one predicate, one renderer, one redirect."""

from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    """True when htmx will swap the response into part of the page."""
    headers = request.headers
    # A history miss sends HX-Request too, but it needs the whole page. The app never boosts
    # links (no hx-boost), so every other htmx request wants a fragment.
    # htmx 4: use `headers.get("HX-Request-Type") == "partial"` instead.
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render *fragment* for htmx swaps and *page* otherwise (same context, *status*)."""
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")  # same URL, two bodies: keep caches apart
    return response


def hx_redirect(url: str):
    """Send the browser to *url*: HX-Redirect for htmx, a 303 otherwise."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
