"""The review page: a Starlette app, pages rendered here with Jinja2, and a little script (static/review.js)
for the keys and the buttons. Everything it serves comes from this package: it works offline.

The access token: every request must carry it, as `?token=` (the URL `groundqa review` prints; the page
then sets a cookie and drops it from the address bar), the cookie, or the `X-Groundqa-Token` header.
A request that changes something must carry the header, which only the page's own script sends, so that
another site open in the same browser cannot post a decision with the cookie (and the cookie is
SameSite=Strict besides). Without it: 403 and a line that says which URL to open."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from generation.grounding import REASONS as CHECK_REASONS
from generation.pipeline.reviews import REASONS as REVIEW_REASONS

from . import ReviewError
from .charts import bar_chart
from .data import highlighted, reason_codes
from .service import Filters, PairView, Reviewer

HERE = Path(__file__).parent
HEADER = "X-Groundqa-Token"
PAGE_SIZE = 200  # pairs a page of the pair list shows; a reviewer moves on with "next"
MEANINGS = {**CHECK_REASONS, **REVIEW_REASONS, "duplicate": "repeats an older published pair (dedup)"}
CHARTS = (
    ("pairs_per_source", "Pairs per source"),
    ("rejection_reasons", "Rejection reasons"),
    ("question_kinds", "Question kinds (first word)"),
    ("answer_lengths", "Answer length (words)"),
)

FORBIDDEN = (
    "403: this review page needs its access token. Open the URL that 'groundqa review' printed when it started "
    "(it ends in ?token=...); run 'groundqa review CORPUS' again for a new one."
)


def create_app(reviewer: Reviewer, token: str, cookie: str = "groundqa-review") -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(meanings=MEANINGS, token=token, corpus=reviewer.corpus.name, urlencode=urlencode)

    def page(name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context))

    def card(view: PairView, with_source: bool = True) -> str:
        return env.get_template("_card.html").module.card(view, with_source)  # type: ignore[attr-defined]

    def common() -> tuple[Any, dict[str, PairView], dict[str, int]]:
        snap = reviewer.snapshot()
        views = reviewer.views(snap)
        return snap, views, reviewer.counts(snap, views)

    def overview(request: Request) -> Response:
        snap, views, counts = common()
        documents = []
        for doc in snap.documents.values():
            mine = [views[p.pair_id] for p in doc.pairs]
            documents.append({
                "doc": doc, "pairs": len(mine), "published": sum(v.row.published for v in mine),
                "next_run": sum(v.next_run for v in mine), "rejected": sum(not v.row.published for v in mine),
                "reviewed": sum(v.decision is not None for v in mine), "failed": sum(c.failed is not None for c in doc.chunks),
            })
        charts = [(title, bar_chart(title, snap.figures.get(key, []), css=key)) for key, title in CHARTS]
        return page("overview.html", snap=snap, counts=counts, documents=documents, charts=charts, view="overview")

    def pairs(request: Request) -> Response:
        snap, views, counts = common()
        q = request.query_params
        filters = Filters(source=q.get("source", ""), reason=q.get("reason", ""), split=q.get("split", ""), show=q.get("show", ""), unreviewed=q.get("unreviewed") == "1")
        shown = [v for v in views.values() if filters.match(v)]
        number = max(1, int(q.get("page", "1")) if q.get("page", "1").isdigit() else 1)
        start = (number - 1) * PAGE_SIZE
        codes = reason_codes(list(snap.pairs.values()))
        codes.update({"reviewer_rejected": counts["rejected"]} if counts["rejected"] else {})
        args = {k: v for k, v in q.items() if k != "page"}
        return page(
            "pairs.html", snap=snap, counts=counts, filters=filters, views=shown[start:start + PAGE_SIZE], total=len(shown),
            page_number=number, pages=max(1, -(-len(shown) // PAGE_SIZE)), reasons=sorted(codes), sources=list(snap.documents),
            args=args, card=card, view="pairs",
        )

    def document(request: Request) -> Response:
        snap, views, counts = common()
        source = request.query_params.get("source", "")
        doc = snap.documents.get(source)
        if doc is None:
            return page("missing.html", counts=counts, source=source, view="document")
        chunks = []
        for c in doc.chunks:
            mine = [views[p.pair_id] for p in c.pairs]
            publish = {v.row.pair_id for v in mine if v.next_run}
            pieces = [(text, ids, "pub" if publish.intersection(ids) else "rej") for text, ids in highlighted(c.chunk.text, c.pairs)]
            chunks.append({"chunk": c, "pieces": pieces, "views": mine})
        return page("document.html", snap=snap, counts=counts, doc=doc, chunks=chunks, card=card, view="document")

    async def decide(request: Request) -> Response:
        try:
            body = await request.json()
            pair_id = str(body["pair_id"])
            if body.get("decision") == "undo":
                view = await run_in_threadpool(reviewer.undo, pair_id)
            else:
                view = await run_in_threadpool(
                    reviewer.decide, pair_id, str(body.get("decision")), question=body.get("question"), answer=body.get("answer"),
                    reason=body.get("reason"), keep=bool(body.get("keep")),
                )
        except ReviewError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"not a decision: {exc}"}, status_code=400)
        except sqlite3.OperationalError as exc:  # a run held the store longer than BUSY_TIMEOUT_MS
            return JSONResponse({"error": f"the store is busy ({exc}); the page tries again"}, status_code=503)
        _, _, totals = await run_in_threadpool(common)
        return JSONResponse({"card": card(view, body.get("with_source", True)), "counts": totals, "message": message(view)})

    def counts(request: Request) -> Response:
        return JSONResponse(common()[2])

    async def guard(request: Request, call_next: Any) -> Response:
        given = request.query_params.get("token")
        if given is not None and secrets.compare_digest(given, token) and request.method == "GET":
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(cookie, token, httponly=True, samesite="strict")
            return response
        header = request.headers.get(HEADER, "")
        if request.method != "GET":
            allowed = secrets.compare_digest(header, token)
        else:
            allowed = secrets.compare_digest(header or request.cookies.get(cookie, ""), token)
        if not allowed:
            return PlainTextResponse(FORBIDDEN, status_code=403)
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    routes = [
        Route("/", overview),
        Route("/pairs", pairs),
        Route("/doc", document),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/counts", counts),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)])


def message(view: PairView) -> str:
    """What the page's status line says after a decision."""
    d = view.decision
    if d is None:
        return "decision undone: the checker decides this pair again"
    if d.decision == "accept":
        return "accepted: published by every run from the next one on"
    if d.decision == "reject":
        return "rejected: never published again"
    if view.edit_grounded:
        return "edited: the checker passes the edited pair; the next run publishes it"
    if d.keep:
        return "edited and kept though the checker rejects it: the next run publishes it"
    reasons = ", ".join(view.edit_verdict.reasons) if view.edit_verdict else ""
    return f"edited, but the checker rejects the edited pair ({reasons}): press a to keep it anyway, or e to edit again"
