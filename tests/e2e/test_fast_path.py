"""The fast path of the hottest routes answers exactly as Litestar's routes do, or leaves to them."""

from __future__ import annotations

import re
from typing import Any

import structlog.testing

from domain.errors import UnavailableError
from entrypoints.http.app import bind_hot_routes, create_app
from entrypoints.http.fast_path import plain_query, with_fast_path
from entrypoints.http.hot_routes import HOT_INTERACTION, RECOMMENDATIONS, RELEVANT
from tests.e2e.asgi_call import Answer, call
from tests.e2e.conftest import FakeStack

RECOMMENDATION_QUERIES = [
    b"user_id=2",
    b"user_id=2&k=5",
    b"k=3&user_id=4",
    b"user_id=3&k=4&exclude=12,13,14",
    b"user_id=3&k=4&exclude=12%2C13",
    b"user_id=9999",  # unknown user: cold start or popular
    b"user_id=9223372036854775807",
    b"user_id=2&k=200",
    # the ones the fast path leaves to Litestar
    b"",
    b"user_id=0",
    b"user_id=-1",
    b"user_id=9223372036854775808",
    b"user_id=abc",
    b"user_id=007",
    b"user_id=2&k=0",
    b"user_id=2&k=201",
    b"user_id=2&k=",
    b"user_id=2&user_id=3",
    b"user_id=2&exclude=1,x",
    b"user_id=2&exclude=",
    b"user_id=2&exclude=%20",
    b"user_id=%32",
    b"user_id=2&utm=1",
    b"user_id=+2",
    # request-time filters: one plain name each on the fast path, the rest through Litestar
    b"user_id=2&k=3&feature=genre:Action",
    b"user_id=2&k=3&not_feature=genre:Action",
    b"user_id=2&k=3&feature=genre:Action&not_feature=genre:Drama",
    b"user_id=9999&k=3&feature=genre:Action",
    b"user_id=2&feature=genre%3AAction",
    b"user_id=2&feature=genre:Action&feature=genre:Drama",
    b"user_id=2&feature=",
    b"user_id=2" + b"".join(b"&feature=f%d" % i for i in range(21)),
]
HOT_QUERIES = [
    b"user_id=2&title_id=5&int_type=view",
    b"title_id=6&user_id=3&int_type=rating&raw_score=4",
    b"user_id=3&title_id=7&int_type=rating&raw_score=4.5",
    b"user_id=99999&title_id=77777&int_type=bookmark",  # new user and title: accepted
    b"user_id=2&title_id=5&int_type=like",  # the use case's 400, naming the allowed types
    b"user_id=2&title_id=5&int_type=rating",  # a rating without its score: the use case's 400
    # the ones the fast path leaves to Litestar
    b"user_id=2&title_id=5&int_type=rating&raw_score=nan",
    b"user_id=2&title_id=5&int_type=rating&raw_score=-1",
    b"user_id=2&title_id=5&int_type=rating&raw_score=1e3",
    b"user_id=0&title_id=5&int_type=view",
    b"user_id=2&int_type=view",
    b"user_id=2&title_id=5",
    b"user_id=2&title_id=5&int_type=",
    b"user_id=2&title_id=5&int_type=a%20b",
    b"user_id=2&title_id=5&int_type=view&int_type=view",
    # the list the event came from: any value is accepted (an unknown one unattributed)
    b"user_id=2&title_id=6&int_type=view&recommendation_id=0123456789ab-0123456789a",
    b"user_id=2&title_id=6&int_type=view&recommendation_id=nonsense",
    b"user_id=2&title_id=6&int_type=view&recommendation_id=%E2%9C%93",
    b"user_id=2&title_id=6&int_type=view&recommendation_id=",
]
RELEVANT_QUERIES = [
    b"title_id=3",
    b"title_id=3&k=4",
    b"title_id=999",
    b"title_id=0",
    b"title_id=3&k=x",
    b"",
    b"title_id=3&k=4&feature=genre:Action",
    b"title_id=3&feature=genre:Action&feature=genre:Drama&not_feature=genre:Comedy",
]
ANSWER_ID = re.compile(rb'"recommendation_id":"([^"]*)"')


def masked(answer: Answer) -> Answer:
    """The answer with its recommendation id (unique per answer by design, its counter's digits grow)
    replaced by a mark, and the content length by whether it is the body's."""
    status, headers, body = answer
    ids = ANSWER_ID.findall(body)
    assert all(0 < len(found) <= 64 for found in ids), body
    length = [
        (k, b"right" if v == str(len(body)).encode() else v) for k, v in headers if k == b"content-length"
    ]
    others = [(k, v) for k, v in headers if k != b"content-length"]
    return status, sorted(others + length), ANSWER_ID.sub(b'"recommendation_id":"ID"', body)


async def compare(stack: FakeStack, path: str, queries: list[bytes]) -> None:
    fast = create_app(stack.container, manage_runtime=False)
    slow = create_app(stack.container, manage_runtime=False, fast_path=False)
    for query in queries:
        # each side twice: the second answer of each comes from the cache
        slow_first, slow_again = await call(slow, path, query), await call(slow, path, query)
        await stack.container.cache().invalidate_all()
        fast_first, fast_again = await call(fast, path, query), await call(fast, path, query)
        await stack.container.cache().invalidate_all()
        assert masked(fast_first) == masked(slow_first), query
        assert masked(fast_again) == masked(slow_again), query
        answered = [ANSWER_ID.findall(a[2]) for a in (slow_first, slow_again, fast_first, fast_again)]
        ids = [found[0] for found in answered if found]
        assert len(set(ids)) == len(ids), query  # every answer its own id, on either path


async def test_recommendations_answer_as_litestar_does_for_every_query(api: Any, stack: FakeStack) -> None:
    assert (await api.get("/admin/train", params={"epochs": 2})).status_code == 200
    await compare(stack, "/titles/recommendations", RECOMMENDATION_QUERIES)
    status, headers, body = await call(
        create_app(stack.container, manage_runtime=False), "/titles/recommendations", b"user_id=2"
    )
    assert status == 200 and (b"content-type", b"application/json") in headers and b'"source":"model"' in body
    assert b'"experiment_arm":null' in body and ANSWER_ID.search(body)


async def test_relevant_titles_answer_as_litestar_does(api: Any, stack: FakeStack) -> None:
    assert (await api.get("/admin/train", params={"epochs": 2})).status_code == 200
    await compare(stack, "/titles/relevant", RELEVANT_QUERIES)
    await compare(stack, "/titles/relavant", RELEVANT_QUERIES[:2])


async def test_hot_events_answer_as_litestar_does(api: Any, stack: FakeStack) -> None:
    await compare(stack, "/rec/hot/interact", HOT_QUERIES[:2])  # before a model: stored, no fold-in
    assert (await api.get("/admin/train", params={"epochs": 2})).status_code == 200
    await compare(stack, "/rec/hot/interact", HOT_QUERIES)
    top = (await api.get("/titles/recommendations", params={"user_id": 4, "k": 40})).json()["item_ids"][0]
    event = f"user_id=4&title_id={top}&int_type=view".encode()
    status, _, body = await call(
        create_app(stack.container, manage_runtime=False), "/rec/hot/interact", event
    )
    assert (status, body) == (202, b'{"accepted":true}')
    listed = (await api.get("/titles/recommendations", params={"user_id": 4, "k": 40})).json()["item_ids"]
    assert top not in listed  # the event taken by the fast path is seen at once


async def test_before_any_model_both_paths_give_the_popular_list(stack: FakeStack) -> None:
    await compare(stack, "/titles/recommendations", [b"user_id=1", b"user_id=1&k=3"])


async def test_plain_queries_never_reach_litestar_and_the_others_always_do(stack: FakeStack) -> None:
    reached: list[bytes] = []

    async def litestar(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["query_string"])
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = with_fast_path(litestar, bind_hot_routes(stack.container))
    for query in (
        b"user_id=2",
        b"user_id=2&k=5&exclude=1,2",
        b"user_id=2&exclude=1%2c2",
        b"user_id=2&feature=genre:Action&not_feature=genre:Drama",
    ):
        assert (await call(app, "/titles/recommendations", query))[0] == 200
    assert (await call(app, "/titles/relevant", b"title_id=3"))[0] in (200, 404)
    assert (await call(app, "/rec/hot/interact", b"user_id=2&title_id=3&int_type=view"))[0] == 202
    rid = b"user_id=2&title_id=3&int_type=view&recommendation_id=0123456789ab-0123456789a"
    assert (await call(app, "/rec/hot/interact", rid))[0] == 202
    assert reached == []
    left = [b"user_id=2&k=0", b"user_id=2&user_id=2", b"user_id=2&x=1", b"user_id=2&feature=a&feature=b"]
    for query in left:
        assert (await call(app, "/titles/recommendations", query))[0] == 418
    assert (await call(app, "/titles/recommendations", b"user_id=2", method="HEAD"))[0] == 418
    assert (await call(app, "/titles/recommendations", b"user_id=2", root_path="/api"))[0] == 418
    assert (await call(app, "/admin/models", b""))[0] == 418
    assert (await call(app, "/rec/hot/interact", b"user_id=2&title_id=3&int_type=view", method="POST"))[
        0
    ] == 418
    assert reached == [*left, b"user_id=2", b"user_id=2", b"", b"user_id=2&title_id=3&int_type=view"]


class Failing:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def execute(self, _query: object) -> None:
        raise self.exc


async def test_a_failing_use_case_is_answered_from_the_error_table(stack: FakeStack) -> None:
    async def litestar(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the fast path answers these itself")

    unavailable = with_fast_path(
        litestar,
        [
            (RECOMMENDATIONS, Failing(UnavailableError("the model registry cannot be used"))),
            (RELEVANT, Failing(RuntimeError("boom"))),
            (HOT_INTERACTION, Failing(UnavailableError("the hot-event store cannot be used"))),
        ],
    )
    status, headers, body = await call(unavailable, "/titles/recommendations", b"user_id=2")
    assert status == 503
    assert body == b'{"error":"unavailable","detail":"the model registry cannot be used"}'
    assert headers == sorted(
        [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    )
    with structlog.testing.capture_logs() as logs:
        status, _, body = await call(unavailable, "/titles/relevant", b"title_id=2")
    assert status == 500 and b'"error":"internal"' in body
    assert [entry["event"] for entry in logs] == ["unhandled_error"]
    status, _, body = await call(unavailable, "/rec/hot/interact", b"user_id=2&title_id=3&int_type=view")
    assert (status, body) == (503, b'{"error":"unavailable","detail":"the hot-event store cannot be used"}')


def test_plain_query_parsing() -> None:
    keys = frozenset({"user_id", "k", "exclude"})
    assert plain_query(b"", keys) == {}
    assert plain_query(b"user_id=1&exclude=2%2C3", keys) == {"user_id": "1", "exclude": "2,3"}
    for irregular in (
        b"user_id",
        b"user_id=",
        b"&user_id=1",
        b"user_id=1&&k=2",
        b"user_id=%31",
        b"user_id=1+",
        b"name=\xc3\xa9",
    ):
        assert plain_query(irregular, keys) is None, irregular
