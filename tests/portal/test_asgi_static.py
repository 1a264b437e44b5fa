"""The ASGI application is a complete web process: Daphne alone serves the pages' CSS and JS
(the production-like stack runs no separate static file server)."""

from __future__ import annotations

from asgiref.testing import ApplicationCommunicator

from portal.asgi import application


async def get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """GET `path` from the ASGI application; the status, headers and the whole (streamed) body."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(10)
    body = b""
    while True:
        message = await comm.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return start["status"], dict(start["headers"]), body


async def test_the_asgi_application_serves_the_stylesheet_and_the_chat_script():
    for path, kind in (
        ("/static/css/portal.css", b"text/css"),
        ("/static/js/chat.js", b"javascript"),
    ):
        status, headers, body = await get(path)
        assert status == 200, path
        assert kind in headers[b"Content-Type"]
        assert len(body) > 500


async def test_a_missing_static_file_is_a_404_not_a_page():
    status, _, _ = await get("/static/nope.css")
    assert status == 404
