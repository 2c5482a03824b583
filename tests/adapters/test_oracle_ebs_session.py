"""The ISG session over loopback: only the cookie authenticates, both login answer shapes, logout."""

from __future__ import annotations

import json

import httpx
import pytest
from ebs_seed import PASSWORD, USER, ebs_seed, ebs_settings

from adapters.base import ResponseError
from adapters.oracle_ebs.auth import IsgSessionAuth
from adapters.oracle_ebs.client import EbsClient
from adapters.oracle_ebs.simulator import EbsSimulator
from adapters.oracle_ebs.wire import request_body
from reconcile.secrets import Secret


async def test_basic_auth_alone_does_not_call_a_procedure() -> None:
    with EbsSimulator(ebs_seed(), username=USER, password=PASSWORD) as sim:
        body = request_body("GET_SUPPLIERS", {}, {"P_OFFSET": "0", "P_LIMIT": "5"})
        async with httpx.AsyncClient(base_url=sim.base_url) as http:
            resp = await http.post(
                "/webservices/rest/xx_tieout/get_suppliers/", json=body, auth=(USER, PASSWORD)
            )
        assert resp.status_code == 401
        assert resp.json()["ISGServiceFault"]["Code"] == "FND_SOA_AUTHENTICATION_FAILURE"


async def test_logout_ends_the_session_on_the_server() -> None:
    with EbsSimulator(ebs_seed(), username=USER, password=PASSWORD) as sim:
        client = EbsClient(ebs_settings(sim.base_url), Secret(PASSWORD))
        await client.call("GET_SUPPLIERS", {"P_OFFSET": "0", "P_LIMIT": "1"})
        assert len(sim._sessions) == 1
        await client.aclose()
        assert sim._sessions == {} and sim.server.requests("/logout")[0].status == 200


@pytest.mark.parametrize(
    "answer",
    [
        {"data": {"accessTokenName": "VIS", "accessToken": "t0k", "userName": USER}},
        {"response": {"data": {"accessTokenName": "VIS", "accessToken": "t0k", "ebsVersion": "12.2.4"}}},
    ],
    ids=["contract", "wrapped"],
)
def test_both_login_answer_shapes_give_the_cookie(answer: dict[str, object]) -> None:
    auth = IsgSessionAuth("http://ebs.invalid", USER, lambda: PASSWORD, side="ERP")
    request = httpx.Request("POST", "http://ebs.invalid/webservices/rest/xx_tieout/get_suppliers/")
    flow = auth.sync_auth_flow(request)
    login = next(flow)
    assert login.url.path == "/webservices/rest/login" and login.headers["authorization"].startswith("Basic ")
    sent = flow.send(httpx.Response(200, content=json.dumps(answer).encode(), request=login))
    assert sent.headers["cookie"] == "VIS=t0k" and "authorization" not in sent.headers
    assert PASSWORD not in repr(auth)


def test_a_login_answer_without_a_token_is_named() -> None:
    auth = IsgSessionAuth("http://ebs.invalid", USER, lambda: PASSWORD, side="ERP (Oracle EBS)")
    flow = auth.sync_auth_flow(httpx.Request("POST", "http://ebs.invalid/x/"))
    login = next(flow)
    with pytest.raises(ResponseError) as err:
        flow.send(httpx.Response(200, content=b"<html>SSO</html>", request=login))
    assert "login answer at http://ebs.invalid/webservices/rest/login has no data.accessTokenName" in str(
        err.value
    )
