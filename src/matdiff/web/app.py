"""The web page and its JSON API (FastAPI): ``create_app()``, served by ``matdiff serve``.

    POST /api/parse       live parsing: the variables with kind, dims, properties; or an error
    POST /api/derivative  text, LaTeX, MathML, shape, index/vec form, steps, NumPy/JAX/PyTorch code
    POST /api/check       a verdict on a claimed derivative (matdiff.check)
    POST /api/evaluate    the value of an expression (or of its derivative) at given numbers
    POST /api/gradcheck   a derivative's numbers beside finite differences (random or given values)
    GET  /openapi.json    the schema;   GET /   the page (HTML + JS + CSS from this package)

Every answer is JSON; an error is ``{"error": message, "position": pos, "end": end, ...}``
with ``position``/``end`` 0-based offsets into the field named by ``field``.  Requests
larger than ``max_body`` bytes are refused with 413.  Each request runs in a worker
process (:mod:`matdiff.web.pool`) under a wall-clock cap of ``max_seconds``: the
derivation gets the API's own ``max_seconds`` (a clear 422 when it stops itself) and a
worker still busy at the cap is killed and replaced (408).  User text is parsed by
matdiff's parser only; nothing is ever evaluated as Python.
"""
from __future__ import annotations

import contextlib
import json
from importlib import resources
from typing import Any, Literal, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .pool import Busy, TimedOut, WorkerLost, WorkerPool

DEFAULT_MAX_SECONDS = 10.0
DEFAULT_MAX_BODY = 10_000      # bytes: "10 kB"

Vars = Union[dict[str, str], list[str], str, None]
Layout = Literal["mixed", "numerator", "denominator"]
Types = Literal["default", "matrixcalculus"]
Number = Union[float, list[float], list[list[float]]]


# ---- request and response models (they make the OpenAPI schema) -------------------------

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParseRequest(_Model):
    expression: str = Field(..., description="an expression in matdiff's language",
                            examples=["tr(X*A*X')"])
    vars: Vars = Field(None, description="declarations: {name: \"matrix(n,n) symmetric\"}, a list "
                                         "of \"name: spec\", or one string separated by ';'",
                       examples=[{"A": "matrix(n,n) symmetric"}])
    types: Types = Field("default", description="naming convention for undeclared names")


class DerivativeRequest(ParseRequest):
    wrt: Union[str, list[str]] = Field(..., description="the variable, or a list for a mixed "
                                                        "partial derivative", examples=["X"])
    layout: Layout = "mixed"
    order: int = Field(1, ge=1, le=6)
    where: bool = Field(True, description="name repeated sub-expressions (text 'F  where "
                                          "s = ...'); false prints the inlined form")


class EvaluateRequest(ParseRequest):
    values: dict[str, Number] = Field(default_factory=dict,
                                      description="numbers for the variables: a number, a list "
                                                  "(vector) or a list of rows (matrix)",
                                      examples=[{"x": [1, 2], "A": [[1, 0], [0, 1]]}])
    wrt: Union[str, list[str], None] = Field(None, description="evaluate this derivative "
                                                               "instead of the expression")
    layout: Layout = "mixed"
    order: int = Field(1, ge=1, le=6)
    shape: Union[list[int], None] = Field(None, description="the size of I, ones or 0 when "
                                                            "nothing else sizes them")


class GradcheckRequest(ParseRequest):
    wrt: str = Field(..., description="the variable", examples=["w"])
    layout: Layout = "mixed"
    order: int = Field(1, ge=1, le=6)
    values: dict[str, Number] = Field(default_factory=dict,
                                      description="numbers for some variables; the others are "
                                                  "drawn at random")
    sizes: Union[dict[str, int], None] = Field(None, description="sizes of dimension names, "
                                                                 "e.g. {\"n\": 3}")
    seed: int = Field(0, ge=0, lt=2 ** 32, description="seed of the random values")


class GradcheckResponse(BaseModel):
    ok: bool = True
    expression: str
    wrt: str
    evaluated: str = Field(..., description="the derivative, as text")
    layout: Layout
    order: int
    value: Any = Field(..., description="the expression's value")
    derivative: Any = Field(..., description="matdiff's derivative at the values")
    finite_difference: Any = Field(..., description="central finite differences of the "
                                                    "expression, in the same layout")
    values: dict[str, Any] = Field(..., description="every variable's value used")
    shape: list[int]
    sizes: dict[str, int]
    max_abs_error: float
    max_rel_error: float
    agrees: bool


class CheckRequest(_Model):
    claim: str = Field(..., description="d/dX EXPR = RESULT (also d2/dx2, d/dx')",
                       examples=["d/dX tr(X*A*X') = X*A"])
    vars: Vars = None
    layout: Layout = "mixed"
    types: Types = "default"
    trials: int = Field(3, ge=1, le=20)


class ErrorBody(BaseModel):
    error: str = Field(..., description="what went wrong, in one line")
    position: Union[int, None] = Field(None, description="0-based offset of the offending place")
    end: Union[int, None] = Field(None, description="0-based end offset (exclusive)")
    type: Union[str, None] = Field(None, description="the kind of error, e.g. ParseError")
    field: Union[str, None] = Field(None, description="the request field the position is in: "
                                                      "expression, claim or vars.NAME")
    variables: Union[list[dict[str, Any]], None] = Field(
        None, description="/api/parse only: the names the expression uses, with their declared "
                          "or conventional kind, when it does not type")
    fix: Union[dict[str, str], None] = Field(
        None, description="/api/parse and /api/check: {name, declaration} that the message "
                          "names as the fix (on /api/parse, the kind to choose in the table)")
    fixes: Union[list[dict[str, str]], None] = Field(
        None, description="/api/parse only, for a shape error: declarations of one variable's "
                          "kind under which the expression types")


class Variable(BaseModel):
    name: str
    kind: Literal["scalar", "vector", "matrix"]
    dims: list[str]
    props: list[str]
    implied: list[str] = []
    declared: bool


class ParseResponse(BaseModel):
    ok: bool = True
    expression: str
    kind: Literal["scalar", "vector", "matrix"]
    shape: list[str]
    variables: list[Variable]


class Form(BaseModel):
    text: str
    latex: str
    mathml: Union[str, None] = None


class Definition(BaseModel):
    name: str
    text: str
    latex: str
    mathml: Union[str, None] = None


class DerivativeResponse(BaseModel):
    ok: bool = True
    expression: str
    wrt: Union[str, list[str]]
    layout: Layout
    order: int
    text: str = Field(..., description="the derivative in matdiff's language (re-parseable)")
    latex: str
    mathml: Union[str, None]
    statement_latex: str
    statement_mathml: Union[str, None]
    shape: list[str]
    where: list[Definition] = Field(default_factory=list, description="the named "
                                    "sub-expressions of text, in order of use")
    form: Literal["matrix", "index"]
    as_row: bool
    index: Union[Form, None] = Field(None, description="index form, for 3+ indices")
    vec: Union[Form, None] = Field(None, description="d vec(F)/d vec(X)' where it is a matrix")
    steps: Union[dict[str, Any], None] = None
    code: dict[str, Union[str, None]] = Field(..., description="a Python module per backend")
    notes: dict[str, str] = Field(..., description="why an extra is missing")
    variables: list[Variable]
    elapsed_ms: float


class EvaluateResponse(BaseModel):
    ok: bool = True
    expression: str
    evaluated: str
    value: Any
    shape: list[int]


ERRORS = {
    408: {"model": ErrorBody, "description": "the request ran past the time cap and was stopped"},
    413: {"model": ErrorBody, "description": "the request body is over the size cap"},
    422: {"model": ErrorBody, "description": "bad input: syntax, shapes, names, limits"},
    500: {"model": ErrorBody, "description": "an internal error"},
    503: {"model": ErrorBody, "description": "every worker is busy"},
}


def error(status: int, message: str, position=None, end=None, type_=None, field=None,
          headers=None) -> JSONResponse:
    return JSONResponse({"error": message, "position": position, "end": end, "type": type_,
                         "field": field}, status_code=status, headers=headers)


# ---- the size cap -------------------------------------------------------------------------

class BodyLimit:
    """Refuse (413) a request whose Content-Length or actual body is over ``max_body`` bytes.

    The body is read here (at most ``max_body`` + one chunk) and replayed to the app."""

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def _refuse(self, scope, receive, send, status=413, message=None):
        message = message or (f"the request is larger than the limit of {self.max_body} bytes")
        await error(status, message, type_="LimitError" if status == 413 else "BadRequest")(
            scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    return await self._refuse(scope, receive, send, 400, "bad Content-Length")
                if n > self.max_body:
                    return await self._refuse(scope, receive, send)
        chunks, total = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            total += len(body)
            if total > self.max_body:
                return await self._refuse(scope, receive, send)
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        data = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# ---- static files -------------------------------------------------------------------------

STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/evaluate.js": ("evaluate.js", "text/javascript; charset=utf-8"),
    "/static/render.js": ("render.js", "text/javascript; charset=utf-8"),
    "/static/variables.js": ("variables.js", "text/javascript; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _static(name: str) -> bytes:
    return resources.files("matdiff.web").joinpath("static", name).read_bytes()


# ---- the app ------------------------------------------------------------------------------

def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errs = exc.errors()
    if not errs:
        return "invalid request", None
    e = errs[0]
    loc = [str(x) for x in e.get("loc", ()) if x != "body"]
    if e.get("type") == "json_invalid":
        return "the request body is not valid JSON", None
    if e.get("type") == "missing":
        return f"{'.'.join(loc)} is required", ".".join(loc) or None
    if e.get("type") == "extra_forbidden":
        return f"unknown field {'.'.join(loc)}", ".".join(loc) or None
    where = ".".join(loc)
    return (f"{where}: {e.get('msg', 'invalid')}" if where else e.get("msg", "invalid")), \
        (where or None)


def create_app(max_seconds: float | None = DEFAULT_MAX_SECONDS, max_body: int = DEFAULT_MAX_BODY,
               workers: int | None = None, mode: str = "process",
               queue_timeout: float = 30.0) -> FastAPI:
    """The web app.  ``max_seconds``: wall-clock cap of one request (None: no cap);
    ``max_body``: the largest request body in bytes; ``workers``: worker processes (default:
    the CPU count, at most 4); ``mode``: "process" (a runaway worker is killed) or "thread"."""
    pool = WorkerPool(workers, mode=mode, queue_timeout=queue_timeout)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        import asyncio
        await asyncio.get_running_loop().run_in_executor(None, pool.start)
        try:
            yield
        finally:
            pool.close()

    from .. import __version__
    app = FastAPI(title="matdiff", version=__version__, lifespan=lifespan,
                  description="Matrix calculus in closed form: derivatives of scalar, vector and "
                              "matrix expressions (docs/language.md), checked claims, numbers.",
                  docs_url=None, redoc_url=None)  # the doc pages would load scripts from a CDN
    app.state.pool = pool
    app.state.max_seconds = max_seconds
    app.state.max_body = max_body
    app.add_middleware(BodyLimit, max_body=max_body)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        message, field = _validation_message(exc)
        return error(422, message, type_="ValidationError", field=field)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404:
            message = f"not found: {request.url.path}"
        return error(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def on_anything(request: Request, exc: Exception):
        return error(500, f"internal error ({type(exc).__name__}); please report it",
                     type_="InternalError")

    async def call(name: str, body: BaseModel) -> JSONResponse:
        req = body.model_dump(mode="json")
        try:
            status, out = await pool.run(name, req, max_seconds)
        except TimedOut:
            return error(408, f"stopped: this took longer than the time limit of {max_seconds:g} s",
                         type_="LimitError")
        except Busy:
            return error(503, "the server is busy; try again in a moment", type_="Busy",
                         headers={"Retry-After": "1"})
        except WorkerLost:
            return error(500, "the worker handling this request stopped unexpectedly "
                              "(out of memory?)", type_="InternalError")
        return JSONResponse(out, status_code=status)

    @app.post("/api/parse", response_model=ParseResponse, responses=ERRORS,
              summary="Parse and type an expression: its variables with kind, dims, properties")
    async def api_parse(body: ParseRequest):
        return await call("parse", body)

    @app.post("/api/derivative", response_model=DerivativeResponse, responses=ERRORS,
              summary="The derivative in closed form, with LaTeX, MathML, steps and code")
    async def api_derivative(body: DerivativeRequest):
        return await call("derivative", body)

    @app.post("/api/check", responses={**ERRORS, 501: {"model": ErrorBody,
                                                       "description": "check is not available"}},
              summary="Decide whether a claimed derivative holds (matdiff.check)")
    async def api_check(body: CheckRequest):
        return await call("check", body)

    @app.post("/api/evaluate", response_model=EvaluateResponse, responses=ERRORS,
              summary="The value of an expression, or of its derivative, at given numbers")
    async def api_evaluate(body: EvaluateRequest):
        return await call("evaluate", body)

    @app.post("/api/gradcheck", response_model=GradcheckResponse, responses=ERRORS,
              summary="The derivative at given or random values beside finite differences")
    async def api_gradcheck(body: GradcheckRequest):
        return await call("gradcheck", body)

    def page(path: str):
        name, media = STATIC[path]
        data = _static(name)

        async def serve_file():
            return Response(data, media_type=media)
        serve_file.__name__ = "page_" + name.replace(".", "_")
        return serve_file

    for path in STATIC:
        app.add_api_route(path, page(path), methods=["GET"], include_in_schema=False)

    return app
